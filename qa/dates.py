"""Dates and Markdown front matter: the lowest layer of the reader (no imports from ``qa``).

``boilerplate`` needs to recognise a date line and the front matter, and ``metadata`` needs to read
them; both import this module, so neither imports the other's internals.
"""

from __future__ import annotations

import datetime as dt
import re

MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
         ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
         ("october", "oct"), ("november", "nov"), ("december", "dec")]
    )
    for m in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
# "13:24 GMT +320 July 2018": the zone offset and the day run together; the offset is tried
# at each length and kept only where the day that is left is a real day (see _gmt_date).
_GMT = re.compile(r"GMT\s*(?P<rest>[+-]?\d{1,4})\s*" + _MONTH + r"\s+(?P<year>\d{4})", re.IGNORECASE)
_DMY = re.compile(r"\b(?P<day>\d{1,2})\s+" + _MONTH + r",?\s+(?P<year>\d{4})\b", re.IGNORECASE)
_MDY = re.compile(r"\b" + _MONTH + r"\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})\b", re.IGNORECASE)
_ISO = re.compile(r"(?<!\d)(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?!\d)")
_TIME = re.compile(r"\b\d{1,2}:\d{2}(:\d{2})?\b")
_DATE_WORDS = re.compile(r"\b(GMT|UTC|updated|published|date)\b|[+\-:,|]", re.IGNORECASE)
_NON_SPACE = re.compile(r"\S+")
_FRONT_MATTER = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n(?P<body>.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)


def _make(year: str, month: str | int, day: str | int) -> str | None:
    m = month if isinstance(month, int) else (int(month) if month.isdigit() else MONTHS.get(month.lower().rstrip(".")))
    try:
        return dt.date(int(year), int(m or 0), int(day)).isoformat()
    except (TypeError, ValueError):
        return None


def _gmt_date(m: re.Match[str]) -> str | None:
    rest = m["rest"]
    sign = rest[0] in "+-"
    digits = rest.lstrip("+-")
    # Without a sign every digit is the day; with one, the offset takes 1 or 2 digits (at most 14 hours).
    for cut in ([1, 2] if sign else [0]):
        offset, day = digits[:cut], digits[cut:]
        if day and (not offset or int(offset) <= 14) and 1 <= int(day) <= 31:
            date = _make(m["year"], m["month"], day)
            if date:
                return date
    return None


def parse_date(text: str) -> str | None:
    """The first date in ``text`` as ISO ``YYYY-MM-DD``, or None."""
    m = _GMT.search(text)
    if m and (date := _gmt_date(m)):
        return date
    for pattern in (_ISO, _DMY, _MDY):
        m = pattern.search(text)
        if m and (date := _make(m["year"], m["month"], m["day"])):
            return date
    return None


def is_date_line(line: str) -> bool:
    """A line that is a date (with perhaps a time and zone), not a sentence that mentions one."""
    if not parse_date(line):
        return False
    rest = _TIME.sub(" ", line)
    for pattern in (_GMT, _ISO, _DMY, _MDY):
        rest = pattern.sub(" ", rest)
    return not has_words(_DATE_WORDS.sub(" ", rest), 3)


def has_words(text: str, n: int) -> bool:
    """``len(text.split()) >= n``, without building the list (a line may be megabytes long)."""
    for i, _ in enumerate(_NON_SPACE.finditer(text), 1):
        if i >= n:
            return True
    return n <= 0


def front_matter_span(text: str) -> tuple[int, int] | None:
    """The Markdown front matter (``---`` … ``---``) at the start of ``text``, as a half-open span."""
    m = _FRONT_MATTER.match(text)
    return (m.start(), m.end()) if m else None


def front_matter(text: str) -> dict[str, str]:
    """The ``key: value`` lines of the front matter, keys lower-cased, values unquoted."""
    m = _FRONT_MATTER.match(text)
    out: dict[str, str] = {}
    if m:
        for raw in m["body"].splitlines():
            key, sep, value = raw.partition(":")
            value = value.strip().strip("'\"")
            if sep and value:
                out[key.strip().lower()] = value
    return out
