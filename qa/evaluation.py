"""The metrics of CONTRACT.md on a question set, for ``qa eval``."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from qa.errors import BadInputError


def _overlaps(path: str, start: int, end: int, gold: dict[str, Any]) -> bool:
    return path == gold["file"] and start < gold["end"] and gold["start"] < end


def load_questions(file: Path) -> list[dict[str, Any]]:
    try:
        rows = [json.loads(line) for line in Path(file).read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as e:
        raise BadInputError(f"cannot read question set {file}: {e}") from e
    for i, r in enumerate(rows, 1):
        if not isinstance(r, dict) or not isinstance(r.get("question"), str) or not isinstance(r.get("answerable"), bool):
            raise BadInputError(f"{file} line {i}: each line needs at least 'question' (text), 'answerable' (true or false) "
                                f"and 'answers'")
        answers, history = r.get("answers", []), r.get("history", [])
        if not isinstance(answers, list) or not all(
                isinstance(g, dict) and isinstance(g.get("file"), str) and isinstance(g.get("start"), int)
                and isinstance(g.get("end"), int) for g in answers):
            raise BadInputError(f"{file} line {i}: 'answers' must be a list of {{file, start, end}} spans")
        if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
            raise BadInputError(f"{file} line {i}: 'history' must be a list of earlier questions")
    return rows


def read_article(path: Path) -> str | None:
    """An article's text as CONTRACT.md defines it, or None when the file cannot be read."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            return f.read()
    except (OSError, UnicodeDecodeError):
        return None


def score(engine, rows: list[dict[str, Any]], *, articles: Path, k: int = 10) -> dict[str, Any]:
    """hit@k, MRR@10, answer@1/3, sources, exact, refusal rates and latency, as CONTRACT.md defines them.

    ``exact`` compares each quote with the article file on disk under ``articles``, as the scorer
    does, not with the index's stored copy (which would always agree with itself).
    """
    texts: dict[str, str | None] = {}

    def text_of(path: str) -> str | None:
        if path not in texts:
            texts[path] = read_article(Path(articles) / path)
        return texts[path]

    n_ans = n_unans = a1 = a3 = refused = false_ref = checked = exact = multi = 0
    hits = {1: 0, 3: 0, 5: 0, 10: 0}
    rr = cover = 0.0
    latencies: list[float] = []
    if rows:
        engine.ask(rows[0]["question"], history=rows[0].get("history", []))  # warm-up, not timed
    for row in rows:
        q, hist, gold = row["question"], row.get("history", []), row.get("answers", [])
        passages = engine.retrieve(q, history=hist, k=k)
        t0 = time.perf_counter()
        ans = engine.ask(q, history=hist)
        latencies.append((time.perf_counter() - t0) * 1000)
        for obj, text in [(c, c.quote) for c in ans.citations] + [(p, p.text) for p in passages]:
            checked += 1
            full = text_of(obj.path)
            exact += full is not None and full[obj.start:obj.end] == text
        if row["answerable"]:
            n_ans += 1
            first = next((i for i, p in enumerate(passages) if any(_overlaps(p.path, p.start, p.end, g) for g in gold)), None)
            if first is not None:
                rr += 1 / (first + 1)
                for kk in hits:
                    hits[kk] += first < kk
            good = [any(_overlaps(c.path, c.start, c.end, g) for g in gold) for c in (ans.citations if ans.found else [])]
            a1 += bool(good[:1] and good[0])
            a3 += any(good[:3])
            false_ref += not ans.found
            files = {g["file"] for g in gold}
            if len(files) > 1:
                multi += 1
                cover += len({c.path for c in ans.citations} & files) / len(files)
        else:
            n_unans += 1
            refused += not ans.found
    div = lambda a, b: a / b if b else float("nan")  # noqa: E731
    lat = sorted(latencies)
    return {
        "questions": len(rows),
        **{f"hit@{kk}": div(v, n_ans) for kk, v in hits.items()},
        "MRR@10": div(rr, n_ans),
        "answer@1": div(a1, n_ans),
        "answer@3": div(a3, n_ans),
        "sources": div(cover, multi),
        "exact": div(exact, checked),
        "refused_unanswerable": div(refused, n_unans),
        "false_refusal": div(false_ref, n_ans),
        "latency_ms_p50": statistics.median(lat) if lat else float("nan"),
        "latency_ms_p95": lat[min(len(lat) - 1, int(0.95 * len(lat)))] if lat else float("nan"),
    }


def evaluate(file: Path, *, articles: Path, index: Path | None = None) -> dict[str, Any]:
    import qa

    rows = load_questions(file)
    with tempfile.TemporaryDirectory(prefix="qa-eval-") as tmp:
        index = Path(index) if index is not None else Path(tmp) / "index"
        qa.ensure_index(articles, index)
        return score(qa.load_index(index), rows, articles=Path(articles))


def format_report(report: dict[str, Any]) -> str:
    return "\n".join(
        f"{k:22s} {v:.3f}" if isinstance(v, float) and not k.startswith("latency") else f"{k:22s} {v:.1f}" if isinstance(v, float) else f"{k:22s} {v}"
        for k, v in report.items()
    )
