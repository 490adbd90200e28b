"""Gold answers as ../shared/tools/score.py reads them: spans, or answer texts named as whole words."""
from __future__ import annotations

import re


def mentions(text: str, phrase: str) -> bool:
    """``phrase`` occurs in ``text`` as whole words, ignoring case."""
    return re.search(r"(?<!\w)" + re.escape(phrase.strip()) + r"(?!\w)", text, re.IGNORECASE) is not None


def holds(row: dict, path: str, start: int, end: int, text: str, *, strict: bool) -> bool:
    """Whether ``text`` (``path[start:end]``) holds the row's gold answer: by span overlap, or by naming an
    answer text (with ``strict``, also naming none of the wrong choices)."""
    if "answers" in row:
        return any(path == g["file"] and start < g["end"] and g["start"] < end for g in row["answers"])
    if not any(mentions(text, a) for a in row["answer_texts"]):
        return False
    return not (strict and any(mentions(text, w) for w in row.get("wrong_texts", [])))
