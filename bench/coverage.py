"""Which RealTimeQA dev questions the article folder really answers, and the dev figures under labels
that say so (issue 11; docs/answers.md, "Session 15").

RealTimeQA marks a question answerable when its right choice occurs as words in some article, and
unanswerable when it occurs in none. Session 15 read, for every dev question, whether some article
*reports* the fact asked about (bench/realtimeqa_coverage.jsonl: "yes" with an exact quote of the
article, "no" with the searches that found nothing, or "unsure"). This script checks every quote
against the articles; with --index it scores the engine through ../shared/tools/score.py twice, on
the dataset's labels and on labels corrected by the audit (a question marked answerable that no
article reports counts as unanswerable; a question marked unanswerable that an article reports in
other words is left out, since its gold text is not in the articles; "unsure" keeps the dataset's
label), and splits the engine's refusals by what the audit found:

    python bench/coverage.py --index ../rtqa-index

Needs ../shared beside the repository.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
EVAL = SHARED / "eval" / "realtimeqa"
AUDIT = ROOT / "bench" / "realtimeqa_coverage.jsonl"
FIGURES = ["hit@1", "hit@5", "answer@1", "answer@3", "phrase@1", "refused_unanswerable", "false_refusal"]


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def check_quotes(audit: list[dict], articles: Path) -> int:
    """How many rows quote their article exactly; exits on one that does not."""
    checked = 0
    for row in audit:
        if row["evidence"] is None:
            if row["covered"] == "yes":
                raise SystemExit(f"{row['id']}: covered but no quote")
            continue
        text = (articles / row["file"]).read_text(encoding="utf-8-sig")
        if row["evidence"] not in text:
            raise SystemExit(f"{row['id']}: the quote is not in {row['file']}")
        checked += 1
    return checked


def corrected(rows: list[dict], covered: dict[str, str]) -> list[dict]:
    """``rows`` with the audit's labels (see the module docstring)."""
    out = []
    for r in rows:
        found = covered.get(r["id"], "unsure")
        if r["answerable"] and found == "no":
            out.append({**r, "answerable": False, "kind": "news-unanswerable"})
        elif not r["answerable"] and found == "yes":
            continue
        else:
            out.append(r)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", help="an index of ../shared/eval/realtimeqa/articles; without it, only the quotes are checked")
    args = ap.parse_args()
    audit = load(AUDIT)
    rows = load(EVAL / "dev.jsonl")
    ids = {r["id"] for r in rows}
    unknown = [a["id"] for a in audit if a["id"] not in ids]
    if unknown:
        raise SystemExit(f"not RealTimeQA dev questions: {unknown}")
    print(f"{check_quotes(audit, EVAL / 'articles')} quotes found verbatim in their articles")
    covered = {a["id"]: a["covered"] for a in audit}
    for label in (True, False):
        group = [r for r in rows if r["answerable"] is label]
        counts = {k: sum(covered.get(r["id"]) == k for r in group) for k in ("yes", "no", "unsure")}
        print(f"marked {'answerable' if label else 'unanswerable'}: {len(group)}, audited "
              f"{sum(r['id'] in covered for r in group)}; an article reports the fact: {counts}")
    if not args.index:
        return 0

    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(SHARED / "tools"))
    from score import score_set

    from qa.engine import Engine

    engine = Engine.load(args.index)
    fixed = corrected(rows, covered)
    for name, which in [("the dataset's labels", rows), ("the audit's labels", fixed)]:
        engine._answered_cache.clear()
        r = score_set(engine, which, EVAL / "articles")
        n_ans = sum(x["answerable"] for x in which)
        print(f"{name:22} answerable {n_ans:3}  " + "  ".join(f"{m} {r[m]:.3f}" for m in FIGURES))
    refused: dict[str, list[str]] = {}
    for r in rows:
        if r["answerable"] and not engine.ask(r["question"], history=r.get("history", [])).found:
            refused.setdefault(covered.get(r["id"], "not audited"), []).append(r["id"])
    print("refusals of questions marked answerable, by what the audit found:")
    for k, v in sorted(refused.items()):
        print(f"  {k:12} {len(v):3}  {' '.join(v)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
