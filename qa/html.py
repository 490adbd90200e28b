"""Text and metadata from an HTML page (BeautifulSoup, the standard library's parser).

The extracted text is what is stored, indexed and cited: offsets index it, not the markup.
"""

from __future__ import annotations

import re

from qa.metadata import parse_date

_DROP = ["script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "iframe", "svg", "button"]
_BLOCKS = {"p", "div", "section", "article", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
           "pre", "table", "tr", "br", "hr", "figure", "figcaption", "main", "dd", "dt"}


def _meta(soup, *names: str) -> str | None:
    for name in names:
        tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
        if tag and tag.get("content", "").strip():
            return tag["content"].strip()
    return None


def extract(html: str) -> tuple[str, dict[str, str | None]]:
    """(text, metadata): paragraphs separated by blank lines; title, source, date and url where the page says."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    title = _meta(soup, "og:title", "twitter:title")
    if not title and soup.title and soup.title.string:
        title = soup.title.string.strip()
    h1 = soup.find("h1")
    if not title and h1:
        title = h1.get_text(" ", strip=True)
    date = _meta(soup, "article:published_time", "date", "pubdate", "dc.date")
    if not date:
        t = soup.find("time")
        date = t.get("datetime") or t.get_text(strip=True) if t else None
    canonical = soup.find("link", attrs={"rel": "canonical"})
    url = _meta(soup, "og:url") or (canonical.get("href") if canonical else None)
    found = {"title": title, "source": _meta(soup, "og:site_name", "publisher", "author"),
             "date": parse_date(date) if date else None, "url": url}
    for tag in soup(_DROP):
        tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    parts: list[str] = []
    for el in root.descendants:
        if isinstance(el, str):
            if el.parent is not None and el.parent.name not in _DROP:
                parts.append(el)
        elif el.name in _BLOCKS:
            parts.append("\n\n")
    text = "".join(parts)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text + "\n", found
