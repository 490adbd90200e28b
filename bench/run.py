"""One command for every speed figure: writes docs/benchmarks.md (and docs/benchmarks.json).

    make bench            # or: python bench/run.py [--sizes 100000,1000000] [--quick]

Every figure is measured in this run beside the baseline it is compared with:
1. embedding throughput of the project's path (each chunk's distinct sentences, bfloat16 where the
   CPU has it) against plain SentenceTransformer.encode in float32 on the same chunks;
2. COVID-QA index build end to end with the project's embedder and with float32, and their hit@5;
   `qa index update` after one changed file;
3. `ask` latency p50/p95 on the COVID-QA index;
4. retrieval at 100k and 1M synthetic passages (bench/scale.py): exact search against HNSW and IVF.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402

import qa  # noqa: E402
from qa import documents, store  # noqa: E402
from qa.chunking import chunk_document  # noqa: E402
from qa.embedding import MiniLM, model_path  # noqa: E402
from qa.evaluation import load_questions, score  # noqa: E402
from qa.settings import Settings  # noqa: E402
from qa.tokens import wordpiece_counts  # noqa: E402

SHARED = ROOT.parent / "shared"
COVID = SHARED / "eval" / "covidqa"


def embedding_throughput(n_chunks: int) -> dict:
    from sentence_transformers import SentenceTransformer

    s = Settings()
    scan = documents.scan(COVID / "articles", max_bytes=s.max_file_bytes)
    chunks = [c for d in scan.documents for c in chunk_document(d, size=s.chunk_tokens, overlap=s.chunk_overlap,
                                                                  max_model_tokens=s.model_max_tokens)][:n_chunks]
    docs = {d.path: d for d in scan.documents}
    texts = [c.text for c in chunks]
    tokens = sum(wordpiece_counts(texts))
    plain = SentenceTransformer(str(model_path()), device="cpu")
    plain.encode(texts[:32], batch_size=32)
    t0 = time.perf_counter()
    plain.encode(texts, batch_size=32, normalize_embeddings=True)
    base_s = time.perf_counter() - t0
    project = MiniLM()
    sentences = sorted({docs[c.path].text[a:b] for c in chunks for a, b in c.sentences}, key=len, reverse=True)
    project.encode(sentences[:64])
    t0 = time.perf_counter()
    for i in range(0, len(sentences), 256):  # as qa.indexing embeds: distinct sentences, longest first
        project.encode(sentences[i:i + 256])
    proj_s = time.perf_counter() - t0
    return {"chunks": len(chunks), "wordpiece_tokens": tokens, "sentences": len(sentences), "dtype": project.dtype,
            "baseline_chunks_per_s": round(len(chunks) / base_s, 1), "baseline_tokens_per_s": round(tokens / base_s),
            "project_chunks_per_s": round(len(chunks) / proj_s, 1), "project_tokens_per_s": round(tokens / proj_s),
            "ratio": round(base_s / proj_s, 2)}


def build_and_score(work: Path, *, dtype: str) -> dict:
    from qa.embedding import load_embedder

    settings = Settings(embed_dtype=dtype)
    index = work / f"index-{dtype}"
    t0 = time.perf_counter()
    summary = qa.build_index(COVID / "articles", index, settings=settings)
    build_s = time.perf_counter() - t0
    engine = qa.load_index(index, settings=settings)
    r = score(engine, load_questions(COVID / "dev.jsonl"), articles=COVID / "articles")
    return {"dtype": load_embedder(settings).dtype, "build_s": round(build_s, 1), "files": summary.files, "chunks": summary.chunks,
            "sentences_embedded": summary.embedded, "index": str(index),
            **{k: round(r[k], 4) for k in ("hit@1", "hit@5", "MRR@10", "answer@1", "false_refusal", "exact")},
            "ask_p50_ms": round(r["latency_ms_p50"], 1), "ask_p95_ms": round(r["latency_ms_p95"], 1)}


def update_one_file(work: Path, index: Path) -> dict:
    articles = work / "articles"
    shutil.copytree(COVID / "articles", articles)
    live = work / "index-update"
    shutil.copytree(index, live)
    assert qa.update_index(articles, live).embedded == 0  # a copy of the same articles: nothing to embed
    f = articles / "covidqa-010.txt"
    f.write_text(f.read_text(encoding="utf-8").replace("novel coronavirus", "new coronavirus", 1), encoding="utf-8")
    t0 = time.perf_counter()
    s = qa.update_index(articles, live)
    return {"seconds": round(time.perf_counter() - t0, 2), "sentences_embedded": s.embedded, "unchanged_files": s.unchanged}


def table(rows: list[list[str]]) -> str:
    head, *body = rows
    return "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(r) + " |" for r in body])


def report(res: dict) -> str:
    e, b32, bp, up, sc = res["embedding"], res["build_float32"], res["build_project"], res["update"], res["scale"]
    project = e["dtype"]  # what "auto" resolved to on this machine, as the embedding section recorded
    out = [f"# Benchmarks\n\nMeasured by `make bench` (`bench/run.py`) on {res['machine']}, {res['date']}. "
           "Every figure stands beside the baseline measured in the same run.\n",
           "## 1. Embedding throughput\n",
           f"The same {e['chunks']} COVID-QA chunks ({e['wordpiece_tokens']:,} WordPiece tokens). Baseline: "
           "`SentenceTransformer.encode` in float32, batch 32. Project: what `qa.indexing` does, i.e. the "
           f"chunks' {e['sentences']} distinct sentences, longest first, in {e['dtype']}.\n",
           table([["path", "chunks/s", "tokens/s", "ratio"],
                  ["float32 `encode` on chunks (baseline)", str(e["baseline_chunks_per_s"]), f"{e['baseline_tokens_per_s']:,}", "1.00"],
                  [f"project ({e['dtype']}, sentences)", str(e["project_chunks_per_s"]), f"{e['project_tokens_per_s']:,}", f"{e['ratio']:.2f}"]]),
           "\nQuality of the project's vectors against float32 ones, full COVID-QA index, dev set:\n",
           table([["embedding", "hit@5", "answer@1", "false refusals"],
                  ["float32", f"{b32['hit@5']:.3f}", f"{b32['answer@1']:.3f}", f"{b32['false_refusal']:.3f}"],
                  [project, f"{bp['hit@5']:.3f}", f"{bp['answer@1']:.3f}", f"{bp['false_refusal']:.3f}"]]),
           "\n## 2. Build time\n",
           table([["what", "seconds", "ratio"],
                  [f"COVID-QA index, float32 ({b32['files']} files, {b32['chunks']} chunks, {b32['sentences_embedded']:,} sentences)", str(b32["build_s"]), "1.00"],
                  [f"COVID-QA index, {project} (project default)", str(bp["build_s"]), f"{b32['build_s'] / bp['build_s']:.2f}"],
                  [f"`qa index update` after one changed file ({up['sentences_embedded']} sentence embedded, {up['unchanged_files']} files unchanged)",
                   str(up["seconds"]), f"{bp['build_s'] / up['seconds']:.1f}× faster than a build"]]),
           "\n## 3. `ask` latency on the COVID-QA index\n",
           f"One question at a time, {res['questions']} dev questions, after one warm-up call.\n",
           table([["embedding", "p50 ms", "p95 ms"], ["float32", str(b32["ask_p50_ms"]), str(b32["ask_p95_ms"])],
                  [project, str(bp["ask_p50_ms"]), str(bp["ask_p95_ms"])]]),
           "\n## 4. Scale: synthetic passages\n",
           f"Vectors: the {sc['centres']:,} COVID-QA sentence vectors as cluster centres plus Gaussian noise, "
           f"normalised; {sc['queries']} queries from the same process; ground truth is exact search. "
           "One query at a time, top 10. Memory is the process's resident-set growth while building.\n"]
    rows = [["passages", "index", "setting", "build s", "memory MB", "p50 ms", "p95 ms", "recall@10", "p50 speed-up"]]
    for d in sc["dense"]:
        ex = d["exact"]
        rows.append([f"{d['n']:,}", "exact (FlatIP)", "—", str(ex["build_s"]), str(int(ex["memory_mb"])), str(ex["p50_ms"]),
                     str(ex["p95_ms"]), "1.000", "1.0×"])
        for ef, r in d["hnsw"]["by_efSearch"].items():
            rows.append([f"{d['n']:,}", f"HNSW M={d['hnsw']['M']}", f"efSearch {ef}", str(d["hnsw"]["build_s"]),
                         str(int(d["hnsw"]["memory_mb"])), str(r["p50_ms"]), str(r["p95_ms"]), f"{r['recall_at_10']:.3f}",
                         f"{ex['p50_ms'] / r['p50_ms']:.0f}×"])
        for npb, r in d["ivf"]["by_nprobe"].items():
            rows.append([f"{d['n']:,}", f"IVF nlist={d['ivf']['nlist']}", f"nprobe {npb}", str(d["ivf"]["build_s"]),
                         str(int(d["ivf"]["memory_mb"])), str(r["p50_ms"]), str(r["p95_ms"]), f"{r['recall_at_10']:.3f}",
                         f"{ex['p50_ms'] / r['p50_ms']:.0f}×"])
    out.append(table(rows))
    out.append("\nBM25 (bm25s through the project's weighted-term path), synthetic Zipf text of 50 tokens a passage, "
               "4-term queries:\n")
    out.append(table([["passages", "build s", "memory MB", "p50 ms", "p95 ms"]] +
                     [[f"{r['n']:,}", str(r["build_s"]), str(int(r["memory_mb"])), str(r["p50_ms"]), str(r["p95_ms"])]
                      for r in sc["bm25"]]))
    out.append(res.get("notes", ""))
    return "\n".join(out) + "\n"


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is a local folder: never look online
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000", help="synthetic collection sizes for the scale section")
    ap.add_argument("--chunks", type=int, default=400, help="chunks for the embedding throughput section")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    ap.add_argument("--from-json", type=Path, help="only rewrite the report from the figures of an earlier run")
    args = ap.parse_args()
    if args.from_json:
        args.out.write_text(report(json.loads(args.from_json.read_text())))
        return
    import scale

    res: dict = {"machine": f"{os.cpu_count()} CPU cores, {platform.machine()}, Python {platform.python_version()}",
                 "date": time.strftime("%Y-%m-%d"), "questions": len(load_questions(COVID / "dev.jsonl"))}
    print("embedding throughput…", file=sys.stderr)
    res["embedding"] = embedding_throughput(args.chunks)
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        work = Path(tmp)
        print("COVID-QA build, float32…", file=sys.stderr)
        res["build_float32"] = build_and_score(work, dtype="float32")
        print("COVID-QA build, project default…", file=sys.stderr)
        res["build_project"] = build_and_score(work, dtype="auto")
        print("update after one changed file…", file=sys.stderr)
        res["update"] = update_one_file(work, Path(res["build_project"]["index"]))
        print("scale…", file=sys.stderr)
        centres = store.read(Path(res["build_project"]["index"])).vectors
        rng = np.random.default_rng(0)
        queries = scale.synthetic(centres, 200, np.random.default_rng(1))
        res["scale"] = {"centres": int(len(centres)), "queries": 200, "dense": [], "bm25": []}
        for n in (int(x) for x in args.sizes.split(",")):
            print(f"  {n:,} passages…", file=sys.stderr)
            res["scale"]["dense"].append(scale.dense_at(n, centres, queries, rng))
            res["scale"]["bm25"].append(scale.bm25_at(n, rng))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(res, indent=1))
    args.out.write_text(report(res))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
