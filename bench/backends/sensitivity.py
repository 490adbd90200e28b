"""Which nodes to keep in fp32 so int8 ORT keeps cosine >= 0.99 (quality only; timing is separate)."""
import sys, time, json
import numpy as np, onnx
import onnx_embedder as oe
from bench_backends import load_data, model_dir, MODELS

sets, questions, _ = load_data(int(sys.argv[1]) if len(sys.argv) > 1 else 250, 100)
texts = [t for s in sets.values() for t in s] + questions
tok = str(model_dir() / "tokenizer.json")
ref = oe.OnnxEmbedder(MODELS / "minilm_fused.onnx", tok, threads=2).encode(texts)
names = [n.name for n in onnx.load(str(MODELS / "minilm_fused.onnx"), load_external_data=False).graph.node
         if n.op_type in ("MatMul", "Attention")]
att = [n for n in names if n.startswith("Attention")]
lay = lambda k: [n for n in names if f"layer.{k}/" in n] + [f"Attention_{k}"]
configs = {
    "none": [], "attention(QKV)": att,
    "attn-out dense": [n for n in names if "attention/output" in n],
    "ffn intermediate": [n for n in names if "intermediate" in n],
    "ffn output": [n for n in names if "/output/dense" in n and "attention" not in n],
} | {f"layer {k}": lay(k) for k in range(6)}
extra = sys.argv[2:]  # extra configs as json lists of keys to combine
for e in extra:
    keys = json.loads(e)
    configs["+".join(keys)] = sorted({n for k in keys for n in configs[k]})
out = {}
for name, excl in configs.items():
    if extra and name in list(configs)[:11]:
        continue
    p = MODELS / "tmp_sens.onnx"
    oe.quantize_int8(MODELS / "minilm_fused.onnx", p, exclude_nodes=excl)
    v = oe.OnnxEmbedder(p, tok, threads=2).encode(texts)
    c = (v * ref).sum(1)
    out[name] = dict(min=float(c.min()), p1=float(np.percentile(c, 1)), mean=float(c.mean()), n_fp32=len(excl))
    print(f"{name:40s} fp32 nodes {len(excl):2d}  min {c.min():.4f}  p1 {np.percentile(c,1):.4f}  mean {c.mean():.5f}", flush=True)
