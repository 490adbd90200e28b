"""Training pairs for the sentence re-ranker, from RealTimeQA 2022 + 2024 (never 2023).

Reads the bare git mirror of realtimeqa/realtimeqa_public, splits each retrieved article
(gcs search_result text) with qa.sentences.split, labels sentences with the whole-word rule of
bench/gold.py (names the answer text and none of the wrong choices = positive), and picks hard
negatives by word overlap with the question. Writes /work/tmp/reranker/pairs.jsonl:
{"qid", "year", "question", "sentence", "label", "source": "gcs"|"evidence"|"neg"}.

With --loose, it writes /work/tmp/reranker/pairs_loose.jsonl instead: only the questions the whole-word rule
gives no positive, labelled by a looser rule (``loose_label``): the answer without quotes, a leading article
or a final stop; a person's surname; other forms of a number ("56%" / "56 per cent", "$300 billion" /
"$300bn", "6 months" / "six months"); for a long answer (three content words or more), a sentence holding
at least 60% of its content words and clearly more of them than of any wrong choice's. Train on it with
train_bi.py --extra, so that the held-out questions stay the same.
"""
from __future__ import annotations

import html
import json
import math
import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from qa.sentences import split  # noqa: E402

REPO = "/work/.mirror/realtimeqa+realtimeqa_public/repo"
OUT = Path("/work/tmp/reranker/pairs.jsonl")
OUT_LOOSE = Path("/work/tmp/reranker/pairs_loose.jsonl")
YEARS = ("2022", "2024")
MAX_POS = 4
NEG_PER_POS = 8
MIN_LEN, MAX_LEN = 20, 600  # characters of a usable sentence

STOP = set("""a an the of in on at to for from by with and or but is are was were be been being has have had do does did
this that these those which what who whom whose when where why how it its as into about after before over under than then
there their they them he she his her him we our you your i me my not no yes will would can could should may might must
following week this last new according said says one two first also up out more most""".split())
WORD = re.compile(r"\w+")
TAG = re.compile(r"<[^>]+>")


def git(*args: str) -> str:
    return subprocess.run(["git", f"--git-dir={REPO}", *args], check=True, capture_output=True, text=True).stdout


def mentions(text: str, phrase: str) -> bool:
    """Same rule as bench/gold.py: ``phrase`` occurs in ``text`` as whole words, ignoring case."""
    return re.search(r"(?<!\w)" + re.escape(phrase.strip()) + r"(?!\w)", text, re.IGNORECASE) is not None


def content_words(text: str) -> set[str]:
    return {w for w in WORD.findall(text.lower()) if w not in STOP and len(w) > 1}


def jsonl(path: str) -> list[dict]:
    return [json.loads(line) for line in git("show", f"HEAD:{path}").splitlines() if line.strip()]


def label(sent: str, answer: str, wrong: list[str]) -> int | None:
    """1: names the answer and no wrong choice; 0: names no answer; None: ambiguous (answer + wrong)."""
    if mentions(sent, answer):
        return None if any(mentions(sent, w) for w in wrong) else 1
    return 0


_QUOTES = "\"'“”‘’"
_SMALL = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
          "seventeen eighteen nineteen twenty").split()
_SCALE = {"million": ("m", "mn"), "billion": ("bn", "b"), "trillion": ("tn", "trillion")}
_PERSON = re.compile(r"(?:[A-Z][\w'’.-]+\s){1,2}([A-Z][a-z][\w'’-]{2,})")
_NONE = re.compile(r"^(all|none|both|neither) of (the )?(above|these|them)", re.IGNORECASE)


def forms(answer: str, question: str) -> list[str]:
    """Other ways an article may write ``answer`` (the first is the answer, cleaned)."""
    a = answer.strip().strip(_QUOTES).rstrip(".").strip().strip(_QUOTES)
    out = [a]
    m = re.match(r"(?i)(the|a|an)\s+(.+)", a)
    if m:
        out.append(m.group(2).strip(_QUOTES))
    m = re.fullmatch(r"([\d.,]+)\s*%", a)
    if m:
        out += [f"{m.group(1)} per cent", f"{m.group(1)} percent"]
    m = re.fullmatch(r"([$£€])([\d.,]+)\s+(million|billion|trillion)", a)
    if m:
        out += [f"{m.group(1)}{m.group(2)}{x}" for x in _SCALE[m.group(3)]] + [f"{m.group(2)} {m.group(3)}"]
    m = re.fullmatch(r"(\d+)(\s+\w+)", a)
    if m and int(m.group(1)) < len(_SMALL):
        out.append(_SMALL[int(m.group(1))] + m.group(2))
    m = _PERSON.fullmatch(a)
    if m and re.match(r"(?i)\s*(who|whom|which\s+(?:former\s+)?[a-z]+ist|which\s+(?:actor|actress|comedian|singer|"
                      r"player|politician|author|writer|artist|star|celebrity|presenter|minister|leader|athlete))\b",
                      question):
        out.append(m.group(1))
    return list(dict.fromkeys(f for f in out if f))


def loose_label(sent: str, answer: str, wrong: list[str], question: str) -> int | None:
    """1 / 0 / None as ``label``, by ``forms`` and, for a long answer, by its content words."""
    wrong_forms = [f for w in wrong for f in forms(w, question)]
    if any(mentions(sent, f) for f in forms(answer, question)):
        return None if any(mentions(sent, f) for f in wrong_forms) else 1
    words = content_words(answer)
    if len(words) >= 3:
        have = content_words(sent)
        share = len(words & have) / len(words)
        rival = max((len(content_words(w) & have) / max(1, len(content_words(w))) for w in wrong), default=0.0)
        if share >= 0.6 and len(words & have) >= 3:
            return 1 if share - rival >= 0.25 else None
        if share >= 0.3:
            return None
    return 0


def main() -> None:
    loose = "--loose" in sys.argv[1:]
    out_path = OUT_LOOSE if loose else OUT
    rng = random.Random(13)
    strict_qids = {json.loads(line)["qid"] for line in OUT.open(encoding="utf-8")} if loose else set()
    commit = git("rev-parse", "HEAD").strip()
    names = git("ls-tree", "-r", "--name-only", "HEAD").split()
    files = sorted(n for n in names if re.fullmatch(r"past/(2022|2024)/\d{8}_(qa|gcs)\.jsonl", n))
    qa_files = [f for f in files if f.endswith("_qa.jsonl")]
    gcs_set = set(f for f in files if f.endswith("_gcs.jsonl"))
    stats = Counter()
    used = []
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("w") as out:
        for qf in qa_files:
            gf = qf.replace("_qa.jsonl", "_gcs.jsonl")
            if gf not in gcs_set:
                stats["qa_files_without_gcs"] += 1
                continue
            used += [qf, gf]
            year = qf.split("/")[1]
            searches = {r["question_id"]: r.get("search_result") or [] for r in jsonl(gf)}
            for row in jsonl(qf):
                stats["questions_read"] += 1
                q = row["question_sentence"].strip()
                if " not " in q or "NOT" in q:
                    stats["skipped_negated"] += 1
                    continue
                try:
                    ans = row["choices"][int(row["answer"][0])].strip()
                except (IndexError, ValueError, KeyError, TypeError):
                    stats["skipped_bad_answer"] += 1
                    continue
                if not ans:
                    stats["skipped_bad_answer"] += 1
                    continue
                wrong = [c.strip() for i, c in enumerate(row["choices"]) if str(i) != row["answer"][0] and c.strip()]
                if loose and (row["question_id"] in strict_qids or _NONE.match(ans)):
                    stats["skipped_strict_or_none_of"] += 1
                    continue

                def label_of(sent: str) -> int | None:
                    return loose_label(sent, ans, wrong, q) if loose else label(sent, ans, wrong)
                qwords = content_words(q)
                pos, neg, seen = [], [], set()
                urls = set()
                for hit in searches.get(row["question_id"], []):
                    if hit.get("url") in urls:
                        continue
                    urls.add(hit.get("url"))
                    text = hit.get("text") or ""
                    for s, e in split(text):
                        sent = " ".join(text[s:e].split())
                        if not (MIN_LEN <= len(sent) <= MAX_LEN) or sent.lower() in seen:
                            continue
                        seen.add(sent.lower())
                        lab = label_of(sent)
                        if lab is None:
                            continue
                        ov = len(qwords & content_words(sent))
                        (pos if lab else neg).append((ov, sent))
                ev = html.unescape(TAG.sub("", row.get("evidence") or ""))
                ev_pos = []
                for s, e in split(ev):
                    sent = " ".join(ev[s:e].split())
                    if MIN_LEN <= len(sent) <= MAX_LEN and sent.lower() not in seen and label_of(sent) == 1:
                        seen.add(sent.lower())
                        ev_pos.append(sent)
                # Positives: the most question-like first; evidence sentences count toward the cap.
                pos.sort(key=lambda t: (-t[0], rng.random()))
                chosen = [("evidence", s) for s in ev_pos[:1]] + [("gcs", s) for _, s in pos][: MAX_POS - min(1, len(ev_pos))]
                if not chosen or not neg:
                    stats["skipped_no_pos" if not chosen else "skipped_no_neg"] += 1
                    continue
                # Negatives: hard (high overlap; naming a wrong choice counts as overlap) + a few random.
                def hardness(t):
                    return t[0] + (2 if any(mentions(t[1], w) for w in wrong) else 0) + rng.random() * 0.5
                neg.sort(key=hardness, reverse=True)
                n_neg = min(len(neg), NEG_PER_POS * len(chosen))
                n_hard = math.ceil(n_neg * 0.75)
                rest = neg[n_hard:]
                negs = [s for _, s in neg[:n_hard]] + [s for _, s in rng.sample(rest, min(len(rest), n_neg - n_hard))]
                stats["questions_used"] += 1
                stats[f"questions_{year}"] += 1
                for src, s in chosen:
                    stats[f"pos_{src}"] += 1
                    out.write(json.dumps({"qid": row["question_id"], "year": year, "question": q, "sentence": s,
                                          "label": 1, "source": src}) + "\n")
                for s in negs:
                    stats["neg"] += 1
                    out.write(json.dumps({"qid": row["question_id"], "year": year, "question": q, "sentence": s,
                                          "label": 0, "source": "neg"}) + "\n")
    meta = {"repo": "realtimeqa/realtimeqa_public", "mirror": REPO, "commit": commit, "files": used, "stats": dict(stats)}
    out_path.with_suffix(".meta.json").write_text(json.dumps(meta, indent=1))
    print(json.dumps(meta["stats"], indent=1), f"\n{len(used)} files")


if __name__ == "__main__":
    main()
