"""Which of RealTimeQA dev's "answerable" questions the article folder really answers, and what that
does to the false-refusal floor (issue 11; docs/answers.md, "Session 15").

RealTimeQA marks a question answerable when its right choice occurs as words in some article. Session 15
read, for the 49 questions the engine refused or did not retrieve within 5 passages, whether some
article *reports* the fact asked about (bench/realtimeqa_coverage.jsonl: "yes" with an exact quote,
"no" with the searches that found nothing, or "unsure"). This script checks every quote against the
articles, then scores the engine and splits its refusals by that finding:

    python bench/coverage.py --index ../rtqa-index

Without --index it only checks the quotes. Needs ../shared beside the repository.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "eval" / "realtimeqa"
AUDIT = ROOT / "bench" / "realtimeqa_coverage.jsonl"


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def check_quotes(audit: list[dict], articles: Path) -> int:
    """How many "yes"/"unsure" rows quote their article exactly; raises on one that does not."""
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", help="an index of ../shared/eval/realtimeqa/articles; without it, only the quotes are checked")
    args = ap.parse_args()
    audit = load(AUDIT)
    rows = {r["id"]: r for r in load(SHARED / "dev.jsonl")}
    unknown = [a["id"] for a in audit if a["id"] not in rows or not rows[a["id"]]["answerable"]]
    if unknown:
        raise SystemExit(f"not answerable dev questions: {unknown}")
    print(f"{check_quotes(audit, SHARED / 'articles')} quotes found verbatim in their articles")
    counts = {k: sum(a["covered"] == k for a in audit) for k in ("yes", "no", "unsure")}
    print(f"audited {len(audit)} of {sum(r['answerable'] for r in rows.values())} answerable questions: {counts}")
    if not args.index:
        return 0

    sys.path.insert(0, str(ROOT))
    from qa.engine import Engine

    engine = Engine.load(args.index)
    covered = {a["id"]: a["covered"] for a in audit}
    refused: dict[str, list[str]] = {"yes": [], "no": [], "unsure": [], "not audited": []}
    answerable = [r for r in rows.values() if r["answerable"]]
    for r in answerable:
        if not engine.ask(r["question"], history=r.get("history", [])).found:
            refused[covered.get(r["id"], "not audited")].append(r["id"])
    n = len(answerable)
    total = sum(len(v) for v in refused.values())
    print(f"false refusals {total}/{n} = {total / n:.3f}; by what the audit found:")
    for k, ids in refused.items():
        print(f"  {k:12} {len(ids):3}  {' '.join(ids)}")
    print(f"refusing only the questions found answered ('yes'): {len(refused['yes'])}/{n} = {len(refused['yes']) / n:.3f}")
    print(f"a reply that refused every question found unanswered ('no') would have at least "
          f"{counts['no']}/{n} = {counts['no'] / n:.3f} false refusals")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
