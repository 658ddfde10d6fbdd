"""The contextual sentence model (all-MiniLM-L6-v2 as ONNX) behind the theme classifier.

``OnnxSentenceEncoder(path, vocab).encode(texts)`` gives one unit vector per answer, as the
domain's encoders do, so :class:`ThemeClassifier` takes it in place of the static vectors.
The graph is built from the published weights by :mod:`minilm_onnx` (never downloaded at run
time); ONNX Runtime runs it on the CPU with a fixed number of threads.

It reads the whole answer, dismissals included. Leaving out the clauses that only dismiss a
theme (as the static encoder does) was measured: cross-validated micro-F1 0.841 against 0.815,
but out-of-distribution 0.774 against 0.803, each at its cross-validated share; issue 16 says
to choose by the out-of-distribution set (docs/themes.md).

Why it is fast enough: answers are sorted by their number of word pieces and padded only to
the longest in their batch, so a batch of texting-style answers costs a fraction of one of
rambling ones; at most ``max_length`` pieces are read (the model's own limit is 256).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from services.consultation.domain.themes.wordpiece import WordPiece

CLS, SEP = "[CLS]", "[SEP]"


class OnnxSentenceEncoder:
    """Texts to unit vectors with an ONNX graph of all-MiniLM-L6-v2; deterministic on a CPU."""

    def __init__(
        self,
        path: Path,
        vocab: Sequence[str],
        *,
        threads: int = 2,
        max_length: int = 128,
        batch: int = 32,
    ) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # shape-merge warnings are noise, errors still raise
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.path = path
        self.tokeniser = WordPiece(vocab)
        self.cls, self.sep = self.tokeniser.ids[CLS], self.tokeniser.ids[SEP]
        self.max_length = max_length
        self.batch = batch
        self.dims = int(self.session.get_outputs()[0].shape[1])
        self.truncated = 0
        """How many answers so far were longer than ``max_length`` pieces (cut)."""

    def _rows(self, texts: Sequence[str]) -> list[list[int]]:
        limit = self.max_length - 2
        rows = []
        for text in texts:
            ids = self.tokeniser.encode(text, limit + 1)
            if len(ids) > limit:
                self.truncated += 1
            rows.append([self.cls, *ids[:limit], self.sep])
        return rows

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """An (answers x 384) array of unit vectors, in the order of ``texts``."""
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        rows = self._rows(texts)
        order = np.argsort([len(r) for r in rows], kind="stable")
        for start in range(0, len(order), self.batch):
            chunk = order[start : start + self.batch]
            length = max(len(rows[i]) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.int64)
            for row, i in enumerate(chunk):
                ids[row, : len(rows[i])] = rows[i]
                mask[row, : len(rows[i])] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            out[chunk] = self.session.run(["sentence_embedding"], feed)[0]
        return out
