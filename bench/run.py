"""One command for every speed figure: writes docs/benchmarks.md (and docs/benchmarks.json).

    make bench            # or: python bench/run.py [--sizes 100000,1000000] [--quick]

Every figure is measured in this run beside the baseline it is compared with:
1. embedding throughput of the project's paths (each chunk's distinct sentences, on torch float32 /
   bfloat16 where the CPU has it, and on ONNX Runtime) against plain SentenceTransformer.encode in
   float32 on the same chunks;
2. COVID-QA index build end to end with torch float32 and with the project's default backend (ONNX
   Runtime where installed), their hit@5, and `qa index update` after one changed file;
3. `ask` latency p50/p95 on the COVID-QA index;
4. serving 1 M and 10 M synthetic sentence vectors in bounded memory (bench/scale.py): compressed dense
   index with exact re-scoring, memory-mapped BM25; RSS in a fresh process, latency, recall@10 vs exact.
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

import qa  # noqa: E402
from qa import documents  # noqa: E402
from qa.chunking import chunk_document  # noqa: E402
from qa.embedding import MODEL_NAME, MiniLM, load_embedder, model_path  # noqa: E402
from qa.evaluation import load_questions, score  # noqa: E402
from qa.settings import Settings  # noqa: E402
from qa.tokens import wordpiece_counts  # noqa: E402

SHARED = ROOT.parent / "shared"
COVID = SHARED / "eval" / "covidqa"


def cpu() -> dict:
    """The CPU model and the SIMD flags that decide which kernels run (AVX-512, VNNI, BF16, AMX)."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name") and model in ("", platform.machine(), platform.processor()):
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    simd = sorted(f for f in flags if f.startswith(("sse4", "avx", "fma", "f16c", "amx")) or "vnni" in f or "bf16" in f)
    return {"model": model, "simd": simd}


def _timed(encode, texts: list[str], batch: int | None = None) -> float:
    t0 = time.perf_counter()
    if batch is None:
        encode(texts)
    else:
        for i in range(0, len(texts), batch):  # as qa.indexing embeds: slices of 256, longest first
            encode(texts[i:i + batch])
    return time.perf_counter() - t0


def embedding_throughput(n_chunks: int, *, rounds: int = 2) -> dict:
    from sentence_transformers import SentenceTransformer

    s = Settings()
    scan = documents.scan(COVID / "articles", max_bytes=s.max_file_bytes)
    chunks = [c for d in scan.documents for c in chunk_document(d, size=s.chunk_tokens, overlap=s.chunk_overlap,
                                                                  max_model_tokens=s.model_max_tokens)][:n_chunks]
    docs = {d.path: d for d in scan.documents}
    texts = [c.text for c in chunks]
    tokens = sum(wordpiece_counts(texts))
    plain = SentenceTransformer(str(model_path(MODEL_NAME)), device="cpu")  # the official weights: the same model, run plainly
    sentences = sorted({docs[c.path].text[a:b] for c in chunks for a, b in c.sentences}, key=len, reverse=True)
    torch_model = MiniLM()  # dtype "auto": bfloat16 only where the CPU has it natively
    paths = {"torch_sentences": (f"project on torch ({torch_model.dtype}, sentences)",
                                 lambda: _timed(torch_model.encode, sentences, 256))}
    load_s = None
    try:
        t0 = time.perf_counter()
        ort = load_embedder(Settings(embed_backend="onnx"))
        load_s = time.perf_counter() - t0
        paths["onnx_chunks"] = (f"{ort.backend} `encode` on chunks", lambda: _timed(ort.encode, texts))
        paths["onnx_sentences"] = (f"project on {ort.backend} (sentences)", lambda: _timed(ort.encode, sentences, 256))
    except qa.QAError as e:
        print(f"no ONNX Runtime: {e}", file=sys.stderr)
    plain.encode(texts[:32], batch_size=32)
    torch_model.encode(sentences[:64])
    times: dict[str, list[float]] = {"baseline": [], **{k: [] for k in paths}}
    for _ in range(rounds):  # interleaved, best of each: a load shift on a shared machine hits every path
        times["baseline"].append(_timed(lambda t: plain.encode(t, batch_size=32, normalize_embeddings=True), texts))
        for key, (_, run) in paths.items():
            times[key].append(run())
    base_s = min(times["baseline"])

    def row(label: str, seconds: list[float]) -> dict:
        best = min(seconds)
        return {"label": label, "chunks_per_s": round(len(chunks) / best, 1), "tokens_per_s": round(tokens / best),
                "seconds": [round(x, 2) for x in seconds], "ratio": round(base_s / best, 2)}

    rows = {key: row(label, times[key]) for key, (label, _) in paths.items()}
    if "onnx_sentences" in rows:
        ours, theirs = ort.encode(sentences), torch_model.encode(sentences)
        rows["onnx_sentences"]["cos_min_vs_torch"] = round(float((ours * theirs).sum(axis=1).min()), 6)
        rows["onnx_sentences"]["load_s"] = round(load_s or 0.0, 2)
    return {"chunks": len(chunks), "wordpiece_tokens": tokens, "sentences": len(sentences), "dtype": torch_model.dtype,
            "baseline_chunks_per_s": round(len(chunks) / base_s, 1), "baseline_tokens_per_s": round(tokens / base_s),
            "baseline_s": [round(x, 2) for x in times["baseline"]], "rounds": rounds, "rows": rows,
            # kept for reports of earlier runs
            "project_chunks_per_s": rows["torch_sentences"]["chunks_per_s"],
            "project_tokens_per_s": rows["torch_sentences"]["tokens_per_s"], "ratio": rows["torch_sentences"]["ratio"]}


def build_and_score(work: Path, *, backend: str, dtype: str) -> dict:
    settings = Settings(embed_backend=backend, embed_dtype=dtype)
    index = work / f"index-{backend}-{dtype}"
    t0 = time.perf_counter()
    load_embedder(settings)  # loaded (or exported) before the clock starts: builds compare embedding work
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    summary = qa.build_index(COVID / "articles", index, settings=settings)
    build_s = time.perf_counter() - t0
    engine = qa.load_index(index, settings=settings)
    r = score(engine, load_questions(COVID / "dev.jsonl"), articles=COVID / "articles")
    embedder = load_embedder(settings)
    return {"dtype": getattr(embedder, "backend", embedder.dtype), "build_s": round(build_s, 1), "load_s": round(load_s, 2), "files": summary.files, "chunks": summary.chunks,
            "sentences_embedded": summary.embedded, "index": str(index),
            **{k: round(r[k], 4) for k in ("hit@1", "hit@5", "MRR@10", "answer@1", "false_refusal", "exact")},
            "ask_p50_ms": round(r["latency_ms_p50"], 1), "ask_p95_ms": round(r["latency_ms_p95"], 1)}


def build_rounds(work: Path, *, n_files: int = 25, rounds: int = 2) -> dict:
    """The issue's figure: a full build of the first ``n_files`` COVID-QA articles against plain
    SentenceTransformer.encode (float32, batch 32) of the same articles' 200-token chunks, on torch
    float32 and on the default backend, interleaved in rounds (best of each) so load shifts hit all."""
    from sentence_transformers import SentenceTransformer

    articles = work / f"articles-{n_files}"
    articles.mkdir()
    for f in sorted((COVID / "articles").iterdir())[:n_files]:
        shutil.copy(f, articles / f.name)
    s = Settings()
    docs = documents.scan(articles, max_bytes=s.max_file_bytes).documents
    texts = [c.text for d in docs for c in chunk_document(d, size=s.chunk_tokens, overlap=s.chunk_overlap,
                                                          max_model_tokens=s.model_max_tokens)]
    plain = SentenceTransformer(str(model_path(MODEL_NAME)), device="cpu")  # the official weights: the same model, run plainly
    plain.encode(texts[:32], batch_size=32)
    paths = {"torch-float32": load_embedder(Settings(embed_backend="torch", embed_dtype="float32")),
             "default": load_embedder(Settings(embed_backend="auto", embed_dtype="auto"))}
    times: dict[str, list[float]] = {"baseline": [], **{k: [] for k in paths}}
    for r in range(rounds):
        times["baseline"].append(_timed(lambda t: plain.encode(t, batch_size=32, normalize_embeddings=True), texts))
        for name, embedder in paths.items():
            t0 = time.perf_counter()
            qa.build_index(articles, work / f"index-{n_files}-{name}-{r}", embedder=embedder)
            times[name].append(time.perf_counter() - t0)
    best = {k: min(v) for k, v in times.items()}
    return {"files": len(docs), "chunks": len(texts), "rounds": rounds, "default": paths["default"].backend,
            "seconds": {k: [round(x, 1) for x in v] for k, v in times.items()},
            "ratio_vs_baseline": {k: round(best["baseline"] / best[k], 2) for k in paths}}


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


def _embedding_section(e: dict) -> list[str]:
    rows = [["path", "chunks/s", "tokens/s", "ratio"],
            ["sentence-transformers float32 `encode` on chunks (baseline)", str(e["baseline_chunks_per_s"]),
             f"{e['baseline_tokens_per_s']:,}", "1.00"]]
    measured = e.get("rows") or {"torch_sentences": {"label": f"project ({e['dtype']}, sentences)",
                                                     "chunks_per_s": e["project_chunks_per_s"],
                                                     "tokens_per_s": e["project_tokens_per_s"], "ratio": e["ratio"]}}
    rows += [[r["label"], str(r["chunks_per_s"]), f"{r['tokens_per_s']:,}", f"{r['ratio']:.2f}"] for r in measured.values()]
    out = ["## 1. Embedding throughput\n",
           f"The same {e['chunks']} COVID-QA chunks ({e['wordpiece_tokens']:,} WordPiece tokens). Baseline: "
           "`SentenceTransformer.encode` in float32, batch 32. \"sentences\": what `qa.indexing` does, i.e. the "
           f"chunks' {e['sentences']} distinct sentences, longest first, in slices of 256. "
           + (f"{e['rounds']} interleaved rounds, best of each.\n" if "rounds" in e else "\n"), table(rows)]
    if (o := measured.get("onnx_sentences")) is not None:
        out.append(f"\nONNX Runtime against torch float32 on those {e['sentences']} sentences: minimum cosine "
                   f"{o['cos_min_vs_torch']:.6f}; loading the ONNX embedder (file checked, session built) took "
                   f"{o['load_s']} s.\n")
    return out


def report(res: dict) -> str:
    out = [f"# Benchmarks\n\nMeasured by `make bench` (`bench/run.py`) on {res['machine']}, {res['date']}. "
           "Every figure stands beside the baseline measured in the same run.\n"]
    if "cpu" in res:
        out.append(f"CPU SIMD flags: {' '.join(res['cpu']['simd'])}.\n")
    if "embedding" in res:
        out += _embedding_section(res["embedding"])
    if (br := res.get("build_rounds")) is not None:
        sec = br["seconds"]
        out += ["\n## 2. Build time\n",
                f"A full build (`qa.build_index`: scan, chunk, embed, BM25, FAISS, write) of the first {br['files']} "
                f"COVID-QA articles against plain `SentenceTransformer.encode` (float32, batch 32) of the same "
                f"articles' {br['chunks']} 200-token chunks, {br['rounds']} interleaved rounds, best of each "
                "(models loaded beforehand):\n",
                table([["what", "seconds (each round)", "× baseline (best)"],
                       ["plain ST float32 `encode` of the chunks (baseline)", " / ".join(map(str, sec["baseline"])), "1.00"],
                       ["build on torch float32", " / ".join(map(str, sec["torch-float32"])),
                        f"{br['ratio_vs_baseline']['torch-float32']:.2f}"],
                       [f"build on the default backend ({br['default']})", " / ".join(map(str, sec["default"])),
                        f"{br['ratio_vs_baseline']['default']:.2f}"]])]
    if "build_float32" in res:
        b32, bp = res["build_float32"], res["build_project"]
        project = bp["dtype"]  # what "auto" resolved to on this machine
        out += ["\nQuality of the default backend's index against the torch float32 one, full COVID-QA index, dev set:\n",
                table([["embedding", "hit@5", "answer@1", "false refusals"],
                       [b32["dtype"], f"{b32['hit@5']:.3f}", f"{b32['answer@1']:.3f}", f"{b32['false_refusal']:.3f}"],
                       [project, f"{bp['hit@5']:.3f}", f"{bp['answer@1']:.3f}", f"{bp['false_refusal']:.3f}"]])]
        rows = [["what", "seconds", "ratio"],
                [f"COVID-QA index, {b32['dtype']} ({b32['files']} files, {b32['chunks']} chunks, "
                 f"{b32['sentences_embedded']:,} sentences)", str(b32["build_s"]), "1.00"],
                [f"COVID-QA index, {project} (project default)", str(bp["build_s"]), f"{b32['build_s'] / bp['build_s']:.2f}"]]
        if "embedding" in res and "build_rounds" not in res:  # the figure, estimated: a build against plain encode of the same 200-token chunks
            e = res["embedding"]
            base = b32["chunks"] / e["baseline_chunks_per_s"]
            rows.append([f"plain ST float32 `encode` of the index's {b32['chunks']} chunks (at section 1's rate)",
                         f"{base:.1f}", f"{base / bp['build_s']:.2f} (default build vs this)"])
        if (up := res.get("update")) is not None:
            rows.append([f"`qa index update` after one changed file ({up['sentences_embedded']} sentence embedded, "
                         f"{up['unchanged_files']} files unchanged)", str(up["seconds"]),
                         f"{bp['build_s'] / up['seconds']:.1f}× faster than a build"])
        out += ["\n## 2. Build time\n" if "build_rounds" not in res else
                "\nThe whole COVID-QA index, one build each, one after the other (so less robust to load shifts):\n",
                "Models are loaded before the clock starts.\n", table(rows),
                "\n## 3. `ask` latency on the COVID-QA index\n",
                f"One question at a time, {res['questions']} dev questions, after one warm-up call.\n",
                table([["embedding", "p50 ms", "p95 ms"], [b32["dtype"], str(b32["ask_p50_ms"]), str(b32["ask_p95_ms"])],
                       [project, str(bp["ask_p50_ms"]), str(bp["ask_p95_ms"])]])]
    if "scale" not in res:
        out.append(res.get("notes", ""))
        return "\n".join(out) + "\n"
    import scale

    if "scale_from" in res:
        out.append(f"\n(Scale figures carried over from the run on {res['scale_from']}: `--only` did not include them.)\n")
    out.append("\n" + scale.report(res["scale"]))
    out.append(res.get("notes", ""))
    return "\n".join(out) + "\n"


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is a local folder: never look online
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000000,10000000", help="synthetic collection sizes for the scale section")
    ap.add_argument("--chunks", type=int, default=400, help="chunks for the embedding throughput section")
    ap.add_argument("--only", default="embedding,rounds,build,update,scale",
                    help="sections to run (comma-separated): embedding, rounds, build, update, scale")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    ap.add_argument("--from-json", type=Path, help="only rewrite the report from the figures of an earlier run")
    args = ap.parse_args()
    if args.from_json:
        args.out.write_text(report(json.loads(args.from_json.read_text())))
        return
    import scale

    only = set(args.only.split(","))
    info = cpu()
    res: dict = {"machine": f"{os.cpu_count()} CPU cores, {info['model']}, {platform.machine()}, "
                            f"Python {platform.python_version()}",
                 "cpu": info, "date": time.strftime("%Y-%m-%d"), "questions": len(load_questions(COVID / "dev.jsonl"))}
    if "embedding" in only:
        print("embedding throughput…", file=sys.stderr)
        res["embedding"] = embedding_throughput(args.chunks)
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        work = Path(tmp)
        if "rounds" in only:
            print("25-article builds against plain encode, interleaved…", file=sys.stderr)
            res["build_rounds"] = build_rounds(work)
        if only & {"build", "update", "scale"}:
            print("COVID-QA build, torch float32…", file=sys.stderr)
            res["build_float32"] = build_and_score(work, backend="torch", dtype="float32")
            print("COVID-QA build, project default…", file=sys.stderr)
            res["build_project"] = build_and_score(work, backend="auto", dtype="auto")
        if "update" in only:
            print("update after one changed file…", file=sys.stderr)
            res["update"] = update_one_file(work, Path(res["build_project"]["index"]))
        if "scale" not in only:
            # The scale section measures FAISS and BM25, not the embedder: keep the last run's, labelled so.
            old = args.out.with_suffix(".json")
            if old.exists() and "scale" in (previous := json.loads(old.read_text())):
                res["scale"] = previous["scale"]
                res["scale_from"] = previous.get("scale_from") or f"{previous['machine']}, {previous['date']}"
            args.out.with_suffix(".json").write_text(json.dumps(res, indent=1))
            args.out.write_text(report(res))
            print(f"wrote {args.out}", file=sys.stderr)
            return
        print("scale…", file=sys.stderr)
        # Files under bench/scale.py's work folder ($QA_SCALE_DIR); 10 M vectors take 15 GB of disk.
        res["scale"] = scale.run_all([int(x) for x in args.sizes.split(",")])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(res, indent=1))
    args.out.write_text(report(res))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
