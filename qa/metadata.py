"""Article metadata (title, source, date, url) inferred from the text's header lines.

Only the first lines are looked at, and only lines that look like page furniture (a date line,
a "© Outlet / Photographer" credit, a headline of its own) count. Unknown stays ``None``.
"""

from __future__ import annotations

import datetime as dt
import re

from qa.boilerplate import HEADER_LINES, is_furniture, is_headline_like, is_tag_list, lines

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
         ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
         ("october", "oct"), ("november", "nov"), ("december", "dec")]
    )
    for m in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
# "13:24 GMT +320 July 2018": the zone offset and the day run together; the offset is tried
# at each length and kept only where the day that is left is a real day (see _gmt_date).
_GMT = re.compile(r"GMT\s*(?P<rest>[+-]?\d{1,4})\s*" + _MONTH + r"\s+(?P<year>\d{4})", re.IGNORECASE)
_DMY = re.compile(r"\b(?P<day>\d{1,2})\s+" + _MONTH + r",?\s+(?P<year>\d{4})\b", re.IGNORECASE)
_MDY = re.compile(r"\b" + _MONTH + r"\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})\b", re.IGNORECASE)
_ISO = re.compile(r"(?<!\d)(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?!\d)")
_TIME = re.compile(r"\b\d{1,2}:\d{2}(:\d{2})?\b")
_KEY_VALUE = re.compile(r"^(?P<key>title|source|outlet|publisher|date|published|url)\s*:\s*(?P<value>.+)$", re.I)
_CREDIT = re.compile(r"^(?:©|\(c\)|copyright)\s*(?P<who>[^/|,]+?)\s*(?:photo\b.*)?(?:[/|,].*)?$", re.I)
_URL = re.compile(r"^(https?://\S+)$")
_FRONT_MATTER = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n(?P<body>.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)


def _make(year: str, month: str | int, day: str | int) -> str | None:
    m = month if isinstance(month, int) else (int(month) if month.isdigit() else _MONTHS.get(month.lower().rstrip(".")))
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
    rest = re.sub(r"\b(GMT|UTC|updated|published|date)\b|[+\-:,|]", " ", rest, flags=re.I)
    return len(rest.split()) <= 2


def front_matter_span(text: str) -> tuple[int, int] | None:
    m = _FRONT_MATTER.match(text)
    return (m.start(), m.end()) if m else None


def _front_matter(text: str) -> dict[str, str]:
    m = _FRONT_MATTER.match(text)
    out: dict[str, str] = {}
    if m:
        for raw in m["body"].splitlines():
            key, sep, value = raw.partition(":")
            value = value.strip().strip("'\"")
            if sep and value:
                out[key.strip().lower()] = value
    return out


def infer(text: str, *, markdown: bool = False) -> dict[str, str | None]:
    """Title, source, date and url from the header of ``text``; None where unknown."""
    found: dict[str, str | None] = {"title": None, "source": None, "date": None, "url": None}
    if markdown:
        fm = _front_matter(text)
        found["title"] = fm.get("title")
        found["source"] = fm.get("source") or fm.get("outlet") or fm.get("publisher")
        found["date"] = parse_date(fm.get("date", ""))
        found["url"] = fm.get("url")
        span = front_matter_span(text)
        body_start = span[1] if span else 0
        if not found["title"]:
            h = re.search(r"^#\s+(.+?)\s*#*\s*$", text[body_start:], re.M)
            if h:
                found["title"] = h.group(1)
    for line in lines(text)[:HEADER_LINES]:
        t = line.text
        if kv := _KEY_VALUE.match(t):
            key, value = kv["key"].lower(), kv["value"].strip()
            if key == "title":
                found["title"] = found["title"] or value
            elif key in ("source", "outlet", "publisher"):
                found["source"] = found["source"] or value
            elif key in ("date", "published"):
                found["date"] = found["date"] or parse_date(value)
            elif key == "url":
                found["url"] = found["url"] or value
            continue
        if is_date_line(t):
            found["date"] = found["date"] or parse_date(t)
        elif (credit := _CREDIT.match(t)) and not found["source"]:
            found["source"] = credit["who"].strip() or None
        elif (url := _URL.match(t)) and not found["url"]:
            found["url"] = url.group(1)
        elif (
            not found["title"]
            and not is_furniture(t)
            and not is_tag_list(t)
            and is_headline_like(t, min_words=4)
        ):
            found["title"] = t
    if not found["title"]:
        found["title"] = _first_line_title(text)
    return found


def _first_line_title(text: str) -> str | None:
    """A first line standing alone above a blank line, in sentence case, as papers put their title."""
    first = next(iter(lines(text)), None)
    if first is None:
        return None
    t = first.text
    alone = re.match(r"[ \t]*(\r?\n|\r)[ \t]*(\r?\n|\r)", text[first.end:]) is not None
    if alone and 3 <= len(t.split()) <= 40 and not t.endswith((".", "!")) and not is_furniture(t) \
            and not is_date_line(t):
        return t
    return None
