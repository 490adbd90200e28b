"""Tune the answer step on dev sets: answer@1, false refusals and refusals for several settings.

    python bench/answer_study.py --index covid-index ../shared/eval/covidqa/dev.jsonl bench/unanswerable_covidqa.jsonl
Loads the index once and retrieves once per question; each setting is an ``AnswerParams``.
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import qa  # noqa: E402
from qa import answering, retrieval  # noqa: E402
from qa.answering import AnswerParams  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("sets", nargs="+", type=Path)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--features", action="store_true", help="print the best candidate's features per question")
    args = ap.parse_args()
    engine = qa.load_index(args.index)
    rows = [json.loads(l) for s in args.sets for l in s.read_text().splitlines() if l.strip()]
    snap = engine.snapshot
    searched = [retrieval.search(snap, engine.embedder, engine.clean_question(r["question"]), r.get("history", []),
                                 turns=engine.settings.history_turns, candidates=engine.settings.candidates) for r in rows]
    grid = {
        "W": [(0.45, 0.35, 0.20), (0.5, 0.4, 0.1), (0.55, 0.45, 0.0), (0.4, 0.4, 0.2), (0.6, 0.3, 0.1)],
    }
    for w in grid["W"]:
        weights = AnswerParams(w_dense=w[0], w_cover=w[1], w_passage=w[2])
        feats = []
        a1 = n = 0
        for r, found in zip(rows, searched):
            cands = answering.candidates(snap, found, weights)
            best = cands[0] if cands else None
            if r["answerable"]:
                n += 1
                if best:
                    path = snap.chunks[best.chunk].path
                    a1 += any(path == g["file"] and best.start < g["end"] and g["start"] < best.end for g in r["answers"])
            feats.append((r["answerable"], best))
        print(f"W={w}: top-sentence answer@1 (no refusal) {a1 / max(n, 1):.3f}")
        for md, mc, me in itertools.product([0.45, 0.5, 0.55, 0.6], [0.5, 0.6, 0.7, 0.8], [0.35, 0.4, 0.45, 0.5]):
            p = AnswerParams(min_dense=md, min_cover=mc, min_evidence=me)
            fr = np.mean([not (b and answering.is_evidence(b, p)) for a, b in feats if a])
            ru = np.mean([not (b and answering.is_evidence(b, p)) for a, b in feats if not a]) if any(not a for a, _ in feats) else float("nan")
            if fr <= 0.05 and ru >= 0.9:
                print(f"   dense>={md} cover>={mc} score>={me}: false_refusal {fr:.3f} refused {ru:.3f}")
        if args.features:
            for r, (a, b) in zip(rows, feats):
                if b:
                    print(f"{'A' if a else 'U'} d={b.dense:.2f} c={b.cover:.2f} p={b.passage:.2f} s={b.score:.2f} {r['question'][:60]}")


if __name__ == "__main__":
    main()
