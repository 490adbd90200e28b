"""Text and metadata from an HTML page, streamed through the standard library's ``HTMLParser``.

The extracted text is what is stored, indexed and cited: offsets index it, not the markup. The
parser keeps a stack of open tag names and a list of text parts, not a tree (a 20 MB page of two
million tags built a BeautifulSoup tree of 3.6 GB). Pages are read as BeautifulSoup's
``html.parser`` builder read them (an end tag closes the nearest open element of its name and
those opened inside it, one with no open element of its name is ignored, void elements hold
nothing, whitespace between tags collapses), so the text of ordinary pages is unchanged; comments
and doctypes are no longer taken for text.
"""

from __future__ import annotations

import re
from collections import Counter
from html import unescape
from html.parser import HTMLParser
from typing import Iterator

from qa.dates import parse_date

_DROP = frozenset({"script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "iframe",
                   "svg", "button"})
_BLOCKS = frozenset({"p", "div", "section", "article", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
                     "blockquote", "pre", "table", "tr", "br", "hr", "figure", "figcaption", "main", "dd", "dt"})
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "menuitem", "meta",
                   "param", "source", "track", "wbr", "basefont", "bgsound", "command", "frame", "image", "isindex",
                   "nextid", "spacer"})
_ROOTS = ("article", "main", "body")  # the text comes from the first of these the page has, else all of it
_NOT_TEXT = frozenset({"script", "style", "template", "rt", "rp"})  # strings that get_text() left out
_PRESERVE = frozenset({"pre", "textarea"})  # where whitespace between tags is kept as it is
_META = {"title": ("og:title", "twitter:title"), "date": ("article:published_time", "date", "pubdate", "dc.date"),
         "url": ("og:url",), "source": ("og:site_name", "publisher", "author")}
_WANTED = frozenset(n for names in _META.values() for n in names)
_CAPTURED = ("title", "h1", "time")  # the first of each is kept as a small tree, for its text
_MAX_CAPTURE = 10_000  # nodes kept of a captured element (a title has a few)
_ASCII_SPACE = str.maketrans("", "", " \n\t\x0c\r")


class _Node:
    """An element of a captured subtree; a string child is (kind, text), kind "text" or "other"."""

    __slots__ = ("children",)

    def __init__(self) -> None:
        self.children: list[_Node | tuple[str, str]] = []

    def string(self) -> str | None:
        """BeautifulSoup's ``.string``: the one string below a chain of only children."""
        node = self
        while len(node.children) == 1:  # a loop, not recursion: markup may nest thousands deep
            child = node.children[0]
            if not isinstance(child, _Node):
                return child[1]
            node = child
        return None

    def texts(self) -> Iterator[str]:
        todo: list[_Node | tuple[str, str]] = list(reversed(self.children))
        while todo:
            child = todo.pop()
            if isinstance(child, _Node):
                todo.extend(reversed(child.children))
            elif child[0] == "text":
                yield child[1]


class _Capture:
    __slots__ = ("node", "open", "size", "attrs")

    def __init__(self, attrs: dict[str, str]) -> None:
        self.node = _Node()
        self.open = [self.node]  # the element and the open elements inside it; empty once it closed
        self.size = 0
        self.attrs = attrs


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.count: Counter[str] = Counter()  # name -> open elements of that name
        self.dropping = 0  # open dropped elements: their text is not the article's
        self.not_text = 0  # open script/style/template/rt/rp
        self.preserve = 0  # open pre/textarea
        self.pending: list[str] = []  # text since the last tag: one string, as BeautifulSoup joined it
        self.parts: list[str] = []
        self.roots: dict[str, list[int]] = {}  # name -> [stack depth, first part, end part or -1]
        self.meta: dict[tuple[str, str], str] = {}  # (attribute, value) -> content of the first such tag
        self.canonical: list[str | None] = []  # the href of the first canonical link
        self.captures: dict[str, _Capture] = {}

    # -- strings -------------------------------------------------------------------------------
    def _flush(self, cdata: bool = False) -> None:
        if not self.pending:
            return
        data = "".join(self.pending) if len(self.pending) > 1 else self.pending[0]
        self.pending = []
        if not self.preserve and not data.translate(_ASCII_SPACE):
            data = "\n" if "\n" in data else " "
        # A CDATA section is text even inside a template or ruby text (BeautifulSoup's CData string).
        self._string("other" if self.not_text and not cdata else "text", data)
        if not self.dropping:
            self.parts.append(data)

    def _string(self, kind: str, data: str) -> None:
        for cap in self.captures.values():
            if cap.open and cap.size < _MAX_CAPTURE:
                cap.open[-1].children.append((kind, data))
                cap.size += 1

    def handle_data(self, data: str) -> None:
        if data:
            self.pending.append(data)

    def handle_entityref(self, name: str) -> None:
        ref = f"&{name};"
        char = unescape(ref)
        self.handle_data(char if char != ref else f"&{name}")

    def handle_charref(self, name: str) -> None:
        self.handle_data(unescape(f"&#{name};"))

    def handle_comment(self, data: str) -> None:
        self._flush()
        self._string("other", data)  # a child of its own in a title or heading, but never text

    def handle_decl(self, decl: str) -> None:
        self._flush()
        self._string("other", decl)

    def handle_pi(self, data: str) -> None:
        self._flush()
        self._string("other", data)

    def unknown_decl(self, data: str) -> None:
        self._flush()
        if data.upper().startswith("CDATA["):
            self.pending.append(data[6:])
            self._flush(cdata=True)
        else:
            self._string("other", data)

    # -- elements ------------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._flush()
        a = {k: v or "" for k, v in attrs}
        if tag == "meta":
            for attr in ("property", "name"):
                if a.get(attr) in _WANTED:
                    self.meta.setdefault((attr, a[attr]), a.get("content", ""))
        elif tag == "link" and not self.canonical and "canonical" in a.get("rel", "").split():
            self.canonical.append(a.get("href"))
        if not self.dropping and tag in _BLOCKS:
            self.parts.append("\n\n")
        for cap in self.captures.values():
            if cap.open:
                node = _Node()  # each capture has its own tree: captures may nest
                if cap.size < _MAX_CAPTURE:
                    cap.open[-1].children.append(node)
                    cap.size += 1
                if tag not in _VOID:
                    cap.open.append(node)
        if tag in _VOID:
            return
        self.stack.append(tag)
        self.count[tag] += 1
        self.dropping += tag in _DROP
        self.not_text += tag in _NOT_TEXT
        self.preserve += tag in _PRESERVE
        if not self.dropping and tag in _ROOTS and tag not in self.roots:
            self.roots[tag] = [len(self.stack), len(self.parts), -1]
        if tag in _CAPTURED and tag not in self.captures:
            self.captures[tag] = _Capture(a)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        self._flush()
        if not self.count[tag]:
            return  # no open element of that name: ignored
        while self.stack:
            name = self.stack.pop()
            depth = len(self.stack) + 1
            self.count[name] -= 1
            self.dropping -= name in _DROP
            self.not_text -= name in _NOT_TEXT
            self.preserve -= name in _PRESERVE
            root = self.roots.get(name)
            if root and root[0] == depth and root[2] < 0:
                root[2] = len(self.parts)
            for cap in self.captures.values():
                if cap.open:
                    cap.open.pop()  # the element at this depth, inside the capture or the capture itself
            if name == tag:
                return

    def close(self) -> None:
        super().close()
        self._flush()


def _first_meta(meta: dict[tuple[str, str], str], names: tuple[str, ...]) -> str | None:
    for name in names:
        for attr in ("property", "name"):
            content = meta.get((attr, name))
            if content is not None:  # the first tag of that name decides, content or not
                if content.strip():
                    return content.strip()
                break
    return None


def extract(html: str) -> tuple[str, dict[str, str | None]]:
    """(text, metadata): paragraphs separated by blank lines; title, source, date and url where the page says."""
    p = _Extractor()
    try:
        p.feed(html)
        p.close()
    except (AssertionError, ValueError, IndexError) as e:  # HTMLParser's rare complaints about markup
        raise ValueError(f"HTML could not be parsed ({e.__class__.__name__})") from None
    first = {name: cap.node for name, cap in p.captures.items()}
    title = _first_meta(p.meta, _META["title"])
    if not title and "title" in first and (string := first["title"].string()):
        title = string.strip()
    if not title and "h1" in first:
        title = " ".join(s.strip() for s in first["h1"].texts() if s.strip())
    date = _first_meta(p.meta, _META["date"])
    if not date and "time" in p.captures:
        date = p.captures["time"].attrs.get("datetime") or "".join(s.strip() for s in first["time"].texts())
    found = {"title": title, "source": _first_meta(p.meta, _META["source"]),
             "date": parse_date(date) if date else None,
             "url": _first_meta(p.meta, _META["url"]) or (p.canonical[0] if p.canonical else None)}
    start, end = 0, len(p.parts)
    for name in _ROOTS:
        if name in p.roots:
            _, start, end = p.roots[name]
            end = len(p.parts) if end < 0 else end
            break
    text = "".join(p.parts[start:end])
    del p
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text + "\n", found
