"""Compare retrieval fusions on built indexes: hit@1/5/10 of chunk retrieval, per dev set.

    python bench/fusion_study.py --index /tmp/covid-index --articles ../shared/eval/covidqa/articles \
        ../shared/eval/covidqa/dev.jsonl [--index … --articles … SET]…

Each set is scored the way ../shared/tools/score.py scores passages (span overlap, or the answer
text named as whole words). Signals: BM25 over chunks (and over chunk + article title), cosine of
the chunk's best sentence, cosine of the chunk's mean sentence vector, cosine of the title.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import qa  # noqa: E402
from gold import holds  # noqa: E402
from qa import retrieval  # noqa: E402
from qa.lexical import Lexical, tokenize  # noqa: E402


def supports(row: dict, path: str, start: int, end: int, text: str) -> bool:
    return holds(row, path, start, end, text, strict=False)


def signals(engine, rows: list[dict]) -> dict:
    snap = engine.snapshot
    n = len(snap.chunks)
    titles = [snap.documents[c.path].title or "" for c in snap.chunks]
    lex_title = Lexical.build([f"{t}\n{c.text}" for t, c in zip(titles, snap.chunks)])
    doc_titles = sorted({t for t in titles})
    tvec = dict(zip(doc_titles, engine.embedder.encode(doc_titles)))
    title_m = np.stack([tvec[t] for t in titles])
    mean = np.zeros((n, snap.vectors.shape[1]), np.float32)
    np.add.at(mean, snap.sentence_chunk, snap.vectors)
    mean /= np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-9)
    out = []
    for r in rows:
        q = r["question"]
        query = retrieval.make_query(q, r.get("history", []), turns=2)
        qv = retrieval.query_vector(engine.embedder, query)
        sims = snap.vectors @ qv
        best = np.full(n, -1.0, np.float32)
        np.maximum.at(best, snap.sentence_chunk, sims)
        gold = np.array([supports(r, c.path, c.start, c.end, c.text) for c in snap.chunks])
        out.append({"bm25": snap.lexical.scores(query.terms, query.weights), "bm25t": lex_title.scores(query.terms, query.weights),
                    "best": best, "mean": mean @ qv, "title": title_m @ qv, "gold": gold})
    return out


def norm_max(x: np.ndarray) -> np.ndarray:
    top = float(x.max()) if x.size else 0.0
    return x / top if top > 0 else x


def zscore(x: np.ndarray, top: int = 100) -> np.ndarray:
    """Standardised by the mean and spread of the best ``top`` scores: a peaked retriever stands out."""
    head = np.sort(x)[-top:]
    return (x - head.mean()) / (head.std() + 1e-6)


METHODS = {
    "bm25": lambda s: s["bm25"],
    "best-sentence": lambda s: s["best"],
    "chunk-mean": lambda s: s["mean"],
    "current (0.5 bm25/max + 0.5 best)": lambda s: 0.5 * norm_max(s["bm25"]) + 0.5 * s["best"],
    "bm25+title": lambda s: s["bm25t"],
    "0.5 bm25t/max + 0.5 best": lambda s: 0.5 * norm_max(s["bm25t"]) + 0.5 * s["best"],
    "0.4 bm25/max + 0.3 best + 0.3 mean": lambda s: 0.4 * norm_max(s["bm25"]) + 0.3 * s["best"] + 0.3 * s["mean"],
    "0.4 bm25t/max + 0.3 best + 0.3 mean": lambda s: 0.4 * norm_max(s["bm25t"]) + 0.3 * s["best"] + 0.3 * s["mean"],
    "z: bm25 + best + mean": lambda s: zscore(s["bm25"]) + zscore(s["best"]) + zscore(s["mean"]),
    "z: bm25t + best + mean": lambda s: zscore(s["bm25t"]) + zscore(s["best"]) + zscore(s["mean"]),
    "z: bm25t + best + mean + 0.5 title": lambda s: zscore(s["bm25t"]) + zscore(s["best"]) + zscore(s["mean"]) + 0.5 * zscore(s["title"]),
    "z: bm25 + best + 0.5 mean": lambda s: zscore(s["bm25"]) + zscore(s["best"]) + 0.5 * zscore(s["mean"]),
    "z: bm25t + best + 0.5 mean": lambda s: zscore(s["bm25t"]) + zscore(s["best"]) + 0.5 * zscore(s["mean"]),
    "z: 1.5 bm25t + best + 0.5 mean": lambda s: 1.5 * zscore(s["bm25t"]) + zscore(s["best"]) + 0.5 * zscore(s["mean"]),
}


def hits(sig: list[dict], fn) -> dict[str, float]:
    h = {1: 0, 5: 0, 10: 0}
    for s in sig:
        order = np.argsort(-fn(s), kind="stable")[:10]
        first = next((i for i, c in enumerate(order) if s["gold"][c]), None)
        for k in h:
            h[k] += first is not None and first < k
    return {f"hit@{k}": round(v / len(sig), 3) for k, v in h.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, action="append", required=True)
    ap.add_argument("--articles", type=Path, action="append", required=True)
    ap.add_argument("sets", nargs="+", type=Path)
    args = ap.parse_args()
    table = {}
    for index, set_ in zip(args.index, args.sets):
        engine = qa.load_index(index)
        rows = [json.loads(l) for l in set_.read_text().splitlines() if l.strip()]
        rows = [r for r in rows if r["answerable"]]
        sig = signals(engine, rows)
        for name, fn in METHODS.items():
            table.setdefault(name, {})[set_.parent.name or set_.name] = hits(sig, fn)
            print(f"{set_.parent.name:12s} {name:40s} {hits(sig, fn)}", flush=True)
    print(json.dumps(table, indent=1))


if __name__ == "__main__":
    main()
