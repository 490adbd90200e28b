"""What the web chat shows, as HTML with every article character escaped, and as clean text.

A chat is a tuple of ``Turn``s. ``conversation`` renders it (each reply once: its text with the
answer phrase in bold and clickable ``[n]`` markers, "Read as: …" for a follow-up, its sources
folded under it); ``viewer`` renders one source in its article; ``copy_text`` and ``memo`` are
what the copy button and the export give, in plain text and Markdown. No retrieval or answer
logic: everything shown comes from the ``Answer``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Callable

from qa.answering import human_date
from qa.documents import Document
from qa.render import Shown, shown, snippet
from qa.results import Answer, Citation

VIEW_CHARS = 200_000  # an article longer than this is shown as this much around the quote
EXAMPLES = (
    "Who founded the White Helmets?",
    "Which governorate are the White Helmets being evacuated from?",
    "How much money did the US release for the White Helmets last month?",
    "What is the population of Damascus?",
)


@dataclass(frozen=True, slots=True)
class Turn:
    """One question of a chat and what came back: an answer, or the one-line reason it was refused."""

    question: str
    answer: Answer | None = None
    error: str | None = None
    alone: bool = False  # asked without the earlier questions ("ask on its own")
    filters: str = ""  # the filters it was asked with, as shown ("Sputnik · from 2018-01-01")
    computed: float = 0.0  # when the answer was computed (epoch seconds): the browser measures from it
    urls: tuple[tuple[str, str], ...] = ()  # (path, URL) of its sources' articles where known

    def url(self, path: str) -> str | None:
        return web_url(dict(self.urls).get(path))


def history(turns: tuple[Turn, ...] | list[Turn]) -> list[str]:
    """The earlier questions a follow-up is read with: the answered ones since the last asked on its own."""
    out: list[str] = []
    for t in turns:
        if t.answer is None:
            continue
        out = [t.question] if t.alone else [*out, t.question]
    return out


def source_name(item) -> str:
    """'Sputnik · Title · 20 July 2018', as people name a source; 'outlet unknown' where it is."""
    return " · ".join(x for x in (item.source or "outlet unknown", item.title, human_date(item.date) or "date unknown") if x)


def locator(item, url: str | None = None) -> str:
    """Where the quote is: the article's URL (or file) and the character range."""
    where = f"{url} (file {item.path})" if url else f"file {item.path}"
    return f"{where}, characters {item.start}–{item.end}"


def web_url(url: object) -> str | None:
    """``url`` where it is an http(s) address; never a javascript: or data: link."""
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None


def filters_label(sources: list[str] | None, since: str | None, until: str | None) -> str:
    parts = [", ".join(sources)] if sources else []
    if since and until:
        parts.append(f"{since} to {until}")
    elif since:
        parts.append(f"from {since}")
    elif until:
        parts.append(f"until {until}")
    return " · ".join(parts)


# -- HTML -------------------------------------------------------------------------------------

def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _loose(text: str) -> str:
    """A pattern for ``text`` with any run of whitespace matching any other (the reply shows
    quotes with line breaks folded)."""
    return r"\s+".join(re.escape(w) for w in text.split())


def _quote_html(shown_quote: str, c: Citation) -> str:
    """The quote as the reply shows it, its answer phrase in bold (found by position, not by search)."""
    phrase = c.answer
    if phrase and phrase.strip():
        before = c.quote[:c.answer_start - c.start]
        m = re.match(r"(\s*" + _loose(before) + r"\s*)(" + _loose(phrase) + ")", shown_quote)
        if m and m.group(2):
            return (_e(shown_quote[:m.start(2)]) + '<strong class="qa-phrase">' + _e(m.group(2)) + "</strong>"
                    + _e(shown_quote[m.end(2):]))
    return _e(shown_quote)


def _marker(k: int, n: int) -> str:
    return (f'<button type="button" class="qa-ref" data-open="{k}:{n}" title="Open source {n} in its article">'
            f"[{n}]</button>")


def reply_html(k: int, answer: Answer) -> str:
    """The reply's text, escaped, with bold answer phrases and clickable markers for its citations."""
    text, out, pos = answer.text, [], 0
    for n, c in enumerate(answer.citations, 1):
        q = re.compile(_loose(c.quote)).search(text, pos) if c.quote.strip() else None
        mark = re.compile(rf"\[{n}\]").search(text, q.end() if q else pos)
        if mark is None:
            continue
        if q is not None and q.end() <= mark.start():
            out += [_e(text[pos:q.start()]), _quote_html(text[q.start():q.end()], c), _e(text[q.end():mark.start()])]
        else:
            out.append(_e(text[pos:mark.start()]))
        out.append(_marker(k, n))
        pos = mark.end()
    out.append(_e(text[pos:]))
    return "".join(out)


def _card(k: int, s: Shown) -> str:
    item = s.item
    kind = f"passage, characters {item.start}–{item.end}" if s.related else f"characters {item.start}–{item.end}"
    body = f'<span class="qa-snippet">{_e(snippet(s.text, 240))}</span>' if s.related else ""
    return (f'<li><button type="button" class="qa-card" data-open="{k}:{s.n}">'
            f'<span class="qa-n">{_e(s.marker)}</span> <span class="qa-name">{_e(source_name(item))}</span>'
            f'<span class="qa-detail">{_e(item.path)} · {kind}</span>{body}</button></li>')


def sources_html(k: int, answer: Answer) -> str:
    items = shown(answer)
    if not items:
        return ""
    if answer.found:
        summary = f"Sources ({len(items)})"
        cls = "qa-srcs"
    else:
        summary = f"Related reading, not an answer ({len(items)})"
        cls = "qa-srcs qa-related"
    cards = "".join(_card(k, s) for s in items)
    return f'<details class="{cls}" data-turn="{k}"><summary>{summary}</summary><ol>{cards}</ol></details>'


def turn_html(k: int, turn: Turn, *, inline: str = "") -> str:
    parts = [f'<div class="qa-turn" id="qa-turn-{k}" data-turn="{k}">',
             f'<div class="qa-user"><div class="qa-bubble">{_e(snippet(turn.question, 160 if turn.error else 600))}</div></div>',
             '<div class="qa-bot">']
    if turn.error is not None:
        parts.append(f'<div class="qa-error" role="alert">⚠ {_e(turn.error)}</div>')
    elif turn.answer is not None:
        a = turn.answer
        if turn.alone:
            parts.append('<div class="qa-readas">Asked on its own, without the earlier questions.</div>')
        elif a.interpreted != a.question:
            # No quotation marks around it: the reading quotes the earlier questions itself.
            parts.append(f'<div class="qa-readas">Read as: {_e(a.interpreted)} '
                         f'<button type="button" class="qa-alone" data-alone="{k}">Ask on its own</button></div>')
        if turn.filters:
            parts.append(f'<div class="qa-filtered">Searched only: {_e(turn.filters)}</div>')
        cls = "qa-reply" if a.found else "qa-reply qa-refusal"
        parts.append(f'<div class="{cls}">{reply_html(k, a)}</div>')
        parts.append(sources_html(k, a))
        if a.found:  # a refusal has nothing to cite
            parts.append(f'<div class="qa-actions"><button type="button" class="qa-copy" data-copy="{_e(copy_text(turn))}">'
                         "Copy with citation</button></div>")
        parts.append(inline)
    parts.append("</div></div>")
    return "".join(parts)


def empty_html() -> str:
    examples = "".join(f'<button type="button" class="qa-example" data-ask="{_e(q)}">{_e(q)}</button>' for q in EXAMPLES)
    return (f'<div class="qa-log qa-empty" data-memo="" data-focus=""><div class="qa-welcome">'
            "<p>Ask a question about the articles. Every answer is a verbatim quote, attributed to its outlet "
            "and date; click a <b>[1]</b> marker to read it in its article.</p>"
            f'<div class="qa-examples">{examples}</div></div></div>')


def conversation(turns: tuple[Turn, ...] | list[Turn], *, opened: tuple[int, int] | None = None,
                 article: Callable[[Turn, int], str] | None = None, focus: str = "") -> str:
    """The whole chat. ``opened`` (turn, n) shows that source's article under its reply (seen on a
    phone; beside the chat on a desktop); ``focus`` tells the page what to scroll to."""
    if not turns:
        return empty_html()
    body = []
    for k, t in enumerate(turns):
        inline = ""
        if opened and opened[0] == k and article is not None:
            inline = f'<div class="qa-inline">{article(t, opened[1])}</div>'
        body.append(turn_html(k, t, inline=inline))
    last = turns[-1]
    return (f'<div class="qa-log" data-focus="{_e(focus)}" data-computed="{int(last.computed * 1000)}" '
            f'data-memo="{_e(memo(turns))}">' + "".join(body) + "</div>")


def viewer(turn: Turn, n: int, doc: Document | None, *, mark_id: str = "") -> str:
    """Source ``n`` of ``turn`` in its article: the quote highlighted and the answer phrase marked
    more strongly, or a related passage outlined (never as an answer)."""
    if turn.answer is None:
        return placeholder()
    items = shown(turn.answer)
    if not 1 <= n <= len(items):
        return placeholder()
    s = items[n - 1]
    item = s.item
    url = web_url(doc.url) if doc is not None else None
    link = f' · <a href="{_e(url)}" rel="noopener noreferrer nofollow" target="_blank">original</a>' if url else ""
    head = (f'<div class="qa-vhead"><div class="qa-vname">{_e(s.marker)} {_e(source_name(item))}</div>'
            f'<div class="qa-detail">{_e(item.path)}{link}</div>')
    if doc is None or doc.text[item.start:item.end] != s.text:
        return (f'<div class="qa-viewer">{head}</div><p class="qa-changed">This article has changed since the answer '
                "(the index was updated): ask again to quote it.</p></div>")
    if s.related:
        note = (f'<div class="qa-vnote qa-vrelated">Related passage, not an answer: characters {item.start}–{item.end}, '
                "outlined.</div>")
    else:
        note = (f'<div class="qa-vnote">Quote at characters {item.start}–{item.end}, highlighted'
                + (", the answer in bold." if isinstance(item, Citation) and item.answer else ".") + "</div>")
    return (f'<div class="qa-viewer" data-kind="{"related" if s.related else "quote"}">{head}{note}</div>'
            f'<div class="qa-article">{_article_body(doc, s, mark_id)}</div></div>')


def _article_body(doc: Document, s: Shown, mark_id: str) -> str:
    item, text = s.item, doc.text
    lo, hi = 0, len(text)
    if len(text) > VIEW_CHARS:  # a very long article: the part around the quote
        lo = max(0, item.start - VIEW_CHARS // 2)
        hi = min(len(text), max(item.end, lo + VIEW_CHARS))
    ident = f' id="{mark_id}"' if mark_id else ""
    cls = "qa-hit qa-passage" if s.related else "qa-hit qa-quote"
    spans = [(item.start, item.end, f'<mark class="{cls}"{ident}>', "</mark>")]
    if isinstance(item, Citation) and item.answer:
        spans.append((item.answer_start, item.answer_end, '<strong class="qa-answer">', "</strong>"))
    # Page furniture is dimmed; it never overlaps a quote (it is never cited).
    spans += [(bs, be, '<span class="qa-boilerplate">', "</span>") for bs, be in doc.boilerplate
              if be <= item.start or bs >= item.end]
    spans = sorted(((max(a, lo), min(b, hi), o, c) for a, b, o, c in spans if min(b, hi) > max(a, lo)),
                   key=lambda x: (x[0], -x[1]))
    points = sorted({lo, hi, *(x[0] for x in spans), *(x[1] for x in spans)})
    out, stack, i = ["… " if lo > 0 else ""], [], 0
    for p, nxt in zip(points, points[1:]):
        while stack and stack[-1][1] <= p:
            out.append(stack.pop()[3])
        while i < len(spans) and spans[i][0] == p:
            out.append(spans[i][2])
            stack.append(spans[i])
            i += 1
        out.append(_e(text[p:nxt]))
    out += [x[3] for x in reversed(stack)]
    return "".join(out) + (" …" if hi < len(text) else "")


def placeholder() -> str:
    return ('<div class="qa-viewer qa-vempty"><p>Click a <b>[1]</b> marker or a source under a reply to read '
            "the quote in its article.</p></div>")


# -- Clean text --------------------------------------------------------------------------------

def _source_block(s: Shown, url: str | None) -> str:
    item = s.item
    body = f"“{s.text}”" if not s.related else f"Related passage (not an answer): “{snippet(s.text, 400)}”"
    return f"{s.marker} {body}\n    {source_name(item)}\n    {locator(item, url)}"


def copy_text(turn: Turn) -> str:
    """A reply as plain text with its sources: what 'Copy with citation' puts on the clipboard."""
    a = turn.answer
    if a is None:
        return ""
    items = shown(a)
    lines = [a.text]
    if items:
        lines.append("Sources:" if a.found else "Related reading, not an answer:")
        lines += [_source_block(s, turn.url(s.item.path)) for s in items]
    return "\n\n".join(lines)


def memo(turns: tuple[Turn, ...] | list[Turn]) -> str:
    """The chat as a sourcing memo in Markdown: every question, reply and quote with its locator."""
    out = ["# Sourcing memo", "",
           "Answers are verbatim quotes from the articles; each locator gives the file (or URL) and the "
           "character range where the quote stands.", ""]
    for k, t in enumerate(turns, 1):
        out += [f"## {k}. {t.question}", ""]
        if t.error is not None:
            out += [f"Not asked: {t.error}", ""]
            continue
        a = t.answer
        if a is None:
            continue
        if t.alone:
            out += ["*Asked on its own, without the earlier questions.*", ""]
        elif a.interpreted != a.question:
            out += [f"*Read as:* {a.interpreted}", ""]
        if t.filters:
            out += [f"*Searched only:* {t.filters}", ""]
        out += [a.text, ""]
        items = shown(a)
        if items:
            out += ["**Sources**" if a.found else "**Related reading, not an answer**", ""]
        for s in items:
            item = s.item
            quoted = "\n".join("> " + line for line in (s.text if not s.related else snippet(s.text, 400)).splitlines())
            out += [f"{s.marker} {source_name(item)} — {locator(item, t.url(item.path))}", "", quoted, ""]
    return "\n".join(out).rstrip() + "\n"
