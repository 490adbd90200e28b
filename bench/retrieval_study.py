"""Compare chunk sizes and fusion methods on a dev set (hit@k of chunk retrieval).

Embeddings are cached under .cache/ by text hash, so later runs only embed what is new.
    python bench/retrieval_study.py --articles ../shared/eval/covidqa/articles ../shared/eval/covidqa/dev.jsonl
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from qa import documents  # noqa: E402
from qa.chunking import chunk_document  # noqa: E402
from qa.embedding import default_embedder  # noqa: E402
from qa.lexical import Lexical, tokenize  # noqa: E402

CACHE = Path(".cache/vectors")


def embed_cached(texts: list[str]) -> np.ndarray:
    CACHE.mkdir(parents=True, exist_ok=True)
    keys = [hashlib.sha1(t.encode("utf-8", "surrogatepass")).hexdigest() for t in texts]
    store = CACHE / "store.npz"
    known: dict[str, np.ndarray] = {}
    if store.exists():
        z = np.load(store, allow_pickle=False)
        known = dict(zip(z["keys"].tolist(), z["vecs"]))
    todo = sorted({k: t for k, t in zip(keys, texts) if k not in known}.items())
    if todo:
        t0 = time.time()
        vecs = default_embedder().encode([t for _, t in todo], progress=True)
        print(f"embedded {len(todo)} in {time.time()-t0:.0f}s", file=sys.stderr)
        known.update({k: v for (k, _), v in zip(todo, vecs)})
        np.savez(store, keys=np.array(list(known)), vecs=np.stack(list(known.values())))
    return np.stack([known[k] for k in keys])


def ranks(scores: np.ndarray) -> np.ndarray:
    order = np.argsort(-scores, kind="stable")
    r = np.empty(len(scores), dtype=np.int64)
    r[order] = np.arange(len(scores))
    return r


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("set", type=Path)
    ap.add_argument("--articles", type=Path, required=True)
    ap.add_argument("--sizes", default="128/32,200/40")
    args = ap.parse_args()
    rows = [json.loads(l) for l in args.set.read_text().splitlines() if l.strip()]
    rows = [r for r in rows if r["answerable"]]
    scan = documents.scan(args.articles, max_bytes=10**8)
    emb = default_embedder()
    qv = embed_cached([r["question"] for r in rows])
    for spec in args.sizes.split(","):
        size, overlap = map(int, spec.split("/"))
        chunks = [c for d in scan.documents for c in chunk_document(d, size=size, overlap=overlap, max_model_tokens=256)]
        cv = embed_cached([c.text for c in chunks])
        sents = [(i, s, e) for i, c in enumerate(chunks) for s, e in c.sentences]
        sent_text = [scan.documents[0].text] if False else None
        docs = {d.path: d for d in scan.documents}
        sv = embed_cached([docs[chunks[i].path].text[s:e] for i, s, e in sents])
        sent_chunk = np.array([i for i, _, _ in sents])
        lex = Lexical.build([c.text for c in chunks])
        gold = []
        for r in rows:
            g = set()
            for a in r["answers"]:
                for i, c in enumerate(chunks):
                    if c.path == a["file"] and c.start < a["end"] and a["start"] < c.end:
                        g.add(i)
            gold.append(g)
        methods: dict[str, list[int]] = {}

        def rec(name: str, scores: np.ndarray, qi: int) -> None:
            top = np.argsort(-scores)[:10]
            first = next((j for j, i in enumerate(top) if i in gold[qi]), 99)
            methods.setdefault(name, []).append(first)

        # document-level: BM25 over whole articles, dense = best sentence of the article
        paths = sorted(docs)
        pidx = {p: j for j, p in enumerate(paths)}
        chunk_doc = np.array([pidx[c.path] for c in chunks])
        doc_lex = Lexical.build([" ".join(c.text for c in chunks if c.path == p) for p in paths])
        sent_lex = Lexical.build([docs[chunks[i].path].text[s:e] for i, s, e in sents])
        for qi, r in enumerate(rows):
            terms = tokenize(r["question"])
            bm = lex.scores(terms)
            bmn = bm / (bm.max() + 1e-9)
            ss = sv @ qv[qi]
            ds = np.full(len(chunks), -1.0, dtype=np.float32)
            np.maximum.at(ds, sent_chunk, ss)
            sb = sent_lex.scores(terms)
            sbm = np.zeros(len(chunks), dtype=np.float32)
            np.maximum.at(sbm, sent_chunk, sb)
            sbmn = sbm / (sbm.max() + 1e-9)
            db = doc_lex.scores(terms)
            dbn = (db / (db.max() + 1e-9))[chunk_doc]
            dd = np.full(len(paths), -1.0, dtype=np.float32)
            np.maximum.at(dd, chunk_doc, ds)
            ddc = dd[chunk_doc]
            rec("bm25", bm, qi)
            rec("dense_sent", ds, qi)
            for w in (0.4, 0.5, 0.6):
                base = w * bmn + (1 - w) * ds
                rec(f"lin{w}", base, qi)
                for v in (0.2, 0.35):
                    rec(f"lin{w}+sbm{v}", base + v * sbmn, qi)
                for beta in (0.1, 0.2, 0.3):
                    rec(f"lin{w}+doc{beta}", base + beta * (0.5 * dbn + 0.5 * ddc), qi)
                    rec(f"lin{w}+sbm0.2+doc{beta}", base + 0.2 * sbmn + beta * (0.5 * dbn + 0.5 * ddc), qi)
                    rec(f"lin{w}+docbm{beta}", base + beta * dbn, qi)
        print(f"== size {size} overlap {overlap}: {len(chunks)} chunks, {len(sents)} sentences")
        for name, firsts in sorted(methods.items(), key=lambda kv: -np.mean(np.array(kv[1]) < 5)):
            f = np.array(firsts)
            print(f"{name:16s} hit@1 {np.mean(f<1):.3f} hit@5 {np.mean(f<5):.3f} hit@10 {np.mean(f<10):.3f} MRR {np.mean(np.where(f<10, 1/(f+1), 0)):.3f}")


if __name__ == "__main__":
    main()
