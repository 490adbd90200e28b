"""8-bit PQ against 4-bit fast-scan PQ on the same coarse lists, at the same code size (one run).

    python bench/pq_compare.py build --n 10000000      # fs96.faiss beside the n-vector dense.faiss
    python bench/pq_compare.py sweep --n 10000000 dense.faiss fs96.faiss

``build`` takes the coarse centroids of an existing ``IVF{nlist}_HNSW32,PQ48np`` index (the layout
before fast scan) and builds ``IVF{nlist},PQ96x4fs`` over the same lists, so only the codes differ.
``sweep`` times ``qa.dense.search`` (ANN + exact re-scoring from the memory-mapped vectors, pages
released after each query as the service does) and the ANN search alone, for each index in turn on
the 628 real dev questions, with recall@10 against bench/scale.py's exact ground truth.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import scale  # noqa: E402
from qa import dense, store  # noqa: E402


def build(folder: Path, m: int = 96) -> Path:
    import faiss

    vectors = np.load(folder / "vectors.npy", mmap_mode="r")
    old = faiss.extract_index_ivf(faiss.read_index(str(folder / "dense.faiss")))
    centroids = faiss.downcast_index(faiss.downcast_index(old.quantizer).storage).reconstruct_n(0, old.nlist)
    new = faiss.index_factory(vectors.shape[1], f"IVF{old.nlist},PQ{m}x4fs", faiss.METRIC_INNER_PRODUCT)
    faiss.extract_index_ivf(new).quantizer.add(centroids)  # trained lists: train() fits only the PQ codebooks
    sample = np.sort(np.random.default_rng(0).choice(len(vectors), 200_000, replace=False))
    new.train(np.ascontiguousarray(vectors[sample], dtype=np.float32))
    for i in range(0, len(vectors), 200_000):
        new.add(np.ascontiguousarray(vectors[i:i + 200_000], dtype=np.float32))
    out = folder / f"fs{m}.faiss"
    faiss.write_index(new, str(out))
    return out


def sweep(folder: Path, names: list[str], nprobes: list[int]) -> list[dict]:
    import faiss

    vectors = store.map_vectors(folder / "vectors.npy")
    queries = scale.question_vectors()
    truth = np.load(folder / "truth.npy")[:len(queries), :10]
    rows = []
    for name in names:
        index = faiss.read_index(str(folder / name))
        ivf = faiss.extract_index_ivf(index)
        quantizer = faiss.downcast_index(ivf.quantizer)
        for nprobe in nprobes:
            ivf.nprobe = nprobe
            if hasattr(quantizer, "hnsw"):
                quantizer.hnsw.efSearch = max(64, 2 * nprobe)
            for depth in (256, 512):
                dense.RESCORE = depth  # this benchmark process only
                for q in queries[:50]:
                    dense.search(index, q, 10, vectors=vectors)
                times, found, ann = [], [], []
                for q in queries:
                    t = time.perf_counter()
                    _, ids = dense.search(index, q, 10, vectors=vectors)
                    times.append((time.perf_counter() - t) * 1000)
                    found.append(np.pad(ids, (0, 10 - len(ids)), constant_values=-1))
                    dense.release(vectors)
                for q in queries[:200]:
                    t = time.perf_counter()
                    index.search(q[None], depth)
                    ann.append((time.perf_counter() - t) * 1000)
                row = {"index": name, "nprobe": nprobe, "rescore": depth, "p50_ms": round(statistics.median(times), 2),
                       "p95_ms": round(scale.pct(times, 0.95), 2), "ann_p50_ms": round(statistics.median(ann), 2),
                       "recall_at_10": round(scale.recall(np.array(found), truth), 4), "load": scale.load_avg()}
                print(json.dumps(row), flush=True)
                rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("build")
    p.add_argument("--n", type=int, required=True)
    p = sub.add_parser("sweep")
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--nprobe", default="32,64,128")
    p.add_argument("indexes", nargs="+", help="FAISS files in the n-vector folder")
    args = ap.parse_args()
    folder = scale.WORK / str(args.n)
    if args.cmd == "build":
        print(build(folder))
    else:
        sweep(folder, args.indexes, [int(x) for x in args.nprobe.split(",")])


if __name__ == "__main__":
    main()
