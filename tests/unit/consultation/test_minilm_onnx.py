"""The ONNX graph of all-MiniLM-L6-v2 computes what the numpy reference computes.

The shipped theme model runs this graph (``adapters/theme_model.py``). Random weights of the
model's shapes stand in for the 91 MB published ones: the graph, not the weights, is under test
(the published vector is checked in ``test_theme_model.py`` and by hand, in the doc).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.themes_minilm import MiniLM
from services.consultation.adapters import minilm_onnx
from services.consultation.domain.themes.wordpiece import WordPiece

VOCAB = [
    "[PAD]",
    *(f"[unused{i}]" for i in range(99)),
    "[UNK]",  # 100, then [CLS] 101 and [SEP] 102 as in BERT's vocabulary
    "[CLS]",
    "[SEP]",
    *("i", "am", "tired", "lonely", "at", "night", "##s", ","),
]


def _weights() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(16)

    def r(*shape: int, scale: float = 0.05) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    width, inner = minilm_onnx.WIDTH, 4 * minilm_onnx.WIDTH
    w = {
        "embeddings.word_embeddings.weight": r(len(VOCAB), width, scale=1.0),
        "embeddings.position_embeddings.weight": r(512, width, scale=1.0),
        "embeddings.token_type_embeddings.weight": r(2, width),
        "embeddings.LayerNorm.weight": 1 + r(width),
        "embeddings.LayerNorm.bias": r(width),
    }
    for i in range(minilm_onnx.LAYERS):
        p = f"encoder.layer.{i}."
        for name, (rows, cols) in {
            "attention.self.query": (width, width),
            "attention.self.key": (width, width),
            "attention.self.value": (width, width),
            "attention.output.dense": (width, width),
            "intermediate.dense": (inner, width),
            "output.dense": (width, inner),
        }.items():
            w[p + name + ".weight"] = r(rows, cols)
            w[p + name + ".bias"] = r(rows)
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            w[p + norm + ".weight"] = 1 + r(width)
            w[p + norm + ".bias"] = r(width)
    return w


def test_the_onnx_graph_matches_the_numpy_forward_pass_with_padding_masked(
    tmp_path: Path,
) -> None:
    import onnx

    from services.consultation.adapters.sentence_encoder import OnnxSentenceEncoder

    weights = _weights()
    path = tmp_path / "tiny.onnx"
    onnx.save(minilm_onnx.graph(weights), path)
    reference = MiniLM.__new__(MiniLM)
    reference.w = weights
    reference.tokeniser = WordPiece(VOCAB)
    texts = ["I am tired", "lonely at night, I am so tired at nights", "nights"]

    got = OnnxSentenceEncoder(path, VOCAB, batch=2).encode(texts)
    want = reference.encode(texts)

    assert got.shape == (3, minilm_onnx.WIDTH)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert (got * want).sum(axis=1).min() > 0.9999  # same vectors, whatever the padding
    assert (got[0] @ got[1]) < 0.9999  # and they depend on the text
    again = OnnxSentenceEncoder(path, VOCAB, batch=2).encode(texts)
    assert np.array_equal(got, again)  # deterministic


def test_weights_that_are_not_the_published_ones_are_refused(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"\x02\x00\x00\x00\x00\x00\x00\x00{}")
    with pytest.raises(minilm_onnx.NotPublishedWeights, match="not the published"):
        minilm_onnx.build(tmp_path, tmp_path / "out.onnx")
