"""Question/sentence pairs from a SQuAD-format file (Wikipedia paragraphs, crowd-written questions,
exact answer spans), for bench/reranker/train_bi.py --extra. A study: nothing here is shipped.

    python bench/reranker/squad_pairs.py SQUAD.json --out /work/tmp/reranker/squad_pairs.jsonl

Each paragraph is split with qa.sentences.split. For an answerable question, the sentence that holds
the start of its first answer is the positive and the paragraph's other sentences (20-600 characters)
are its negatives: a sentence on the same topic that does not answer, the hardest kind. Unanswerable
questions (SQuAD 2.0's is_impossible) are skipped. Every answer's answer_start is checked against the
paragraph's text first; a file where one does not match is refused. Output rows have the fields of
data.py's ({"qid", "question", "sentence", "label", "source"}); provenance and counts go beside it in
<out>.meta.json.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from qa.sentences import split  # noqa: E402

MIN_LEN, MAX_LEN = 20, 600


def pairs(data: dict) -> tuple[list[dict], dict]:
    rows: list[dict] = []
    stats = {"articles": len(data["data"]), "paragraphs": 0, "questions": 0, "impossible": 0, "no_positive": 0, "used": 0}
    for art in data["data"]:
        for para in art["paragraphs"]:
            stats["paragraphs"] += 1
            ctx = para["context"]
            spans = [(s, e) for s, e in split(ctx) if MIN_LEN <= len(ctx[s:e].strip()) <= MAX_LEN]
            for qa in para["qas"]:
                stats["questions"] += 1
                for a in qa.get("answers", []):
                    if ctx[a["answer_start"]:a["answer_start"] + len(a["text"])] != a["text"]:
                        raise SystemExit(f"answer_start does not match its text in question {qa['id']}")
                if qa.get("is_impossible") or not qa.get("answers"):
                    stats["impossible"] += 1
                    continue
                at = qa["answers"][0]["answer_start"]
                pos = [(s, e) for s, e in spans if s <= at < e]
                if not pos or len(spans) < 2:
                    stats["no_positive"] += 1
                    continue
                stats["used"] += 1
                for s, e in spans:
                    label = int((s, e) == pos[0])
                    rows.append({"qid": "squad:" + qa["id"], "question": qa["question"], "sentence": " ".join(ctx[s:e].split()),
                                 "label": label, "source": "squad" if label else "neg"})
    return rows, stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("squad", type=Path, help="a SQuAD-format JSON file (v1.1 or v2.0)")
    ap.add_argument("--out", type=Path, default=Path("/work/tmp/reranker/squad_pairs.jsonl"))
    ap.add_argument("--source", default="", help="where the file came from (repository and commit), for the meta file")
    args = ap.parse_args()
    raw = args.squad.read_bytes()
    rows, stats = pairs(json.loads(raw))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    meta = {"source": args.source, "file": str(args.squad), "sha256": hashlib.sha256(raw).hexdigest(), "stats": stats,
            "pairs": len(rows), "positives": sum(r["label"] for r in rows)}
    Path(str(args.out) + ".meta.json").write_text(json.dumps(meta, indent=1))
    print(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
