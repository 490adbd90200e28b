"""Retrieval at scale on synthetic passages: exact FAISS search against HNSW and IVF, and BM25.

Vectors: real sentence vectors of an index (COVID-QA) as cluster centres, plus Gaussian noise,
normalised, so the synthetic collection has the local structure real text has; queries come from
the same process. Ground truth is exact inner-product search. Text for BM25: token ids drawn from
a Zipf distribution (50 tokens a passage), since only timing matters there.

    python bench/scale.py --index covid-index --sizes 100000,1000000 --json out.json
"""
from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def synthetic(centres: np.ndarray, n: int, rng: np.random.Generator, noise: float = 0.035) -> np.ndarray:
    out = np.empty((n, centres.shape[1]), dtype=np.float32)
    step = 100_000
    for i in range(0, n, step):
        m = min(step, n - i)
        v = centres[rng.integers(0, len(centres), m)] + rng.normal(0, noise, (m, centres.shape[1])).astype(np.float32)
        out[i:i + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def timed_queries(search, queries: np.ndarray) -> tuple[list[float], list[np.ndarray]]:
    search(queries[:1])  # warm-up
    times, ids = [], []
    for q in queries:
        t0 = time.perf_counter()
        ids.append(search(q[None, :]))
        times.append((time.perf_counter() - t0) * 1000)
    return times, ids


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(p * len(s)))]


def recall(found: list[np.ndarray], truth: list[np.ndarray], k: int = 10) -> float:
    return float(np.mean([len(set(f[:k]) & set(t[:k])) / k for f, t in zip(found, truth)]))


def dense_at(n: int, centres: np.ndarray, queries: np.ndarray, rng: np.random.Generator) -> dict:
    import faiss

    from qa import dense

    t0 = time.perf_counter()
    base = synthetic(centres, n, rng)
    gen_s = time.perf_counter() - t0
    row: dict = {"n": n, "generate_s": round(gen_s, 1)}

    before = rss_mb()
    t0 = time.perf_counter()
    flat = faiss.IndexFlatIP(base.shape[1])
    flat.add(base)
    row["exact"] = {"build_s": round(time.perf_counter() - t0, 1), "memory_mb": round(rss_mb() - before, 0)}
    times, truth = timed_queries(lambda q: flat.search(q, 10)[1][0], queries)
    row["exact"].update(p50_ms=round(statistics.median(times), 2), p95_ms=round(pct(times, 0.95), 2), recall_at_10=1.0)
    del flat
    gc.collect()

    before = rss_mb()
    t0 = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(base.shape[1], dense.HNSW_M, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = dense.HNSW_EF_CONSTRUCTION
    hnsw.add(base)
    row["hnsw"] = {"build_s": round(time.perf_counter() - t0, 1), "memory_mb": round(rss_mb() - before, 0),
                   "M": dense.HNSW_M, "efConstruction": dense.HNSW_EF_CONSTRUCTION, "by_efSearch": {}}
    for ef in (32, 64, 128, 256):
        hnsw.hnsw.efSearch = ef
        times, found = timed_queries(lambda q: hnsw.search(q, 10)[1][0], queries)
        row["hnsw"]["by_efSearch"][ef] = {"p50_ms": round(statistics.median(times), 3), "p95_ms": round(pct(times, 0.95), 3),
                                          "recall_at_10": round(recall(found, truth), 4)}
    del hnsw
    gc.collect()

    nlist = int(4 * np.sqrt(n))
    before = rss_mb()
    t0 = time.perf_counter()
    quantiser = faiss.IndexFlatIP(base.shape[1])
    ivf = faiss.IndexIVFFlat(quantiser, base.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.train(base[rng.choice(n, min(n, 50 * nlist), replace=False)])
    ivf.add(base)
    row["ivf"] = {"build_s": round(time.perf_counter() - t0, 1), "memory_mb": round(rss_mb() - before, 0),
                  "nlist": nlist, "by_nprobe": {}}
    for nprobe in (8, 16, 32, 64):
        ivf.nprobe = nprobe
        times, found = timed_queries(lambda q: ivf.search(q, 10)[1][0], queries)
        row["ivf"]["by_nprobe"][nprobe] = {"p50_ms": round(statistics.median(times), 3), "p95_ms": round(pct(times, 0.95), 3),
                                           "recall_at_10": round(recall(found, truth), 4)}
    del ivf, base
    gc.collect()
    return row


def bm25_at(n: int, rng: np.random.Generator, *, vocab: int = 50_000, length: int = 50, queries: int = 100) -> dict:
    import bm25s

    from qa.lexical import Lexical

    t0 = time.perf_counter()
    ranks = np.arange(1, vocab + 1)
    p = (1 / ranks) / np.sum(1 / ranks)
    ids = rng.choice(vocab, size=(n, length), p=p)
    corpus = [[f"t{x}" for x in row] for row in ids]
    gen_s = time.perf_counter() - t0
    before = rss_mb()
    t0 = time.perf_counter()
    bm = bm25s.BM25(k1=1.2, b=0.75)  # as Lexical.build does, minus the text tokenizer
    bm.index(corpus, show_progress=False)
    lex = Lexical(bm)
    build_s = time.perf_counter() - t0
    mem = rss_mb() - before
    del corpus
    qs = [[f"t{x}" for x in rng.choice(vocab, size=4, p=p)] for _ in range(queries)]
    lex.scores(qs[0])
    times = []
    for q in qs:
        t0 = time.perf_counter()
        s = lex.scores(q, [1.0] * len(q))  # the engine's weighted path: one pass per term
        np.argpartition(-s, 10)[:10]
        times.append((time.perf_counter() - t0) * 1000)
    return {"n": n, "generate_s": round(gen_s, 1), "build_s": round(build_s, 1), "memory_mb": round(mem, 0),
            "p50_ms": round(statistics.median(times), 2), "p95_ms": round(pct(times, 0.95), 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, required=True, help="an index whose sentence vectors serve as cluster centres")
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    from qa import store

    centres = store.read(args.index).vectors
    rng = np.random.default_rng(0)
    queries = synthetic(centres, args.queries, np.random.default_rng(1))
    out = {"centres": int(len(centres)), "queries": args.queries, "dense": [], "bm25": []}
    for n in (int(x) for x in args.sizes.split(",")):
        print(f"dense {n:,}…", file=sys.stderr)
        out["dense"].append(dense_at(n, centres, queries, rng))
        print(json.dumps(out["dense"][-1]), file=sys.stderr)
        print(f"bm25 {n:,}…", file=sys.stderr)
        out["bm25"].append(bm25_at(n, rng))
        print(json.dumps(out["bm25"][-1]), file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
