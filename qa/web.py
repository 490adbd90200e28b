"""The web chat: Gradio Blocks around an Engine. Only input, calls and display live here."""

from __future__ import annotations

import html
import json
import logging
import re
from typing import Any, Iterator

import gradio as gr

log = logging.getLogger("qa.web")

from qa.engine import Engine
from qa.errors import BadInputError, QAError
from qa.render import answer_json, describe_source, shown, snippet
from qa.results import Answer, Citation, Passage

EXAMPLES = [
    "Who founded the White Helmets?",
    "Which governorate are the White Helmets being evacuated from?",
    "How much money did the US release for the White Helmets last month?",
    "What is the population of Damascus?",
]
CONTEXT_CHARS = 600
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")

CSS = """
.qa-source { border-left: 3px solid #f59e0b; padding: 4px 10px; margin: 10px 0; }
.qa-source .qa-meta { font-size: 0.9em; opacity: 0.8; margin-bottom: 4px; }
.qa-context { white-space: pre-wrap; }
mark.qa-quote { background: #fde68a; color: #111; padding: 0 1px; }
#qa-article { white-space: pre-wrap; max-height: 560px; overflow-y: auto; border: 1px solid #ddd;
              border-radius: 6px; padding: 10px; font-size: 0.95em; }
#qa-article .qa-boilerplate { opacity: 0.45; }
"""
SCROLL_JS = "() => { const m = document.getElementById('qa-mark'); if (m) m.scrollIntoView({block: 'center'}); }"


def escape_markdown(text: str) -> str:
    """Article text shown as text: no HTML, no Markdown images, links or emphasis."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def _context(text: str, start: int, end: int) -> tuple[int, int]:
    """The paragraph around [start, end), at most CONTEXT_CHARS on each side."""
    lo = text.rfind("\n\n", max(0, start - CONTEXT_CHARS), start)
    hi = text.find("\n\n", end, end + CONTEXT_CHARS)
    return (lo + 2 if lo >= 0 else max(0, start - CONTEXT_CHARS)), (hi if hi >= 0 else min(len(text), end + CONTEXT_CHARS))


def highlighted(text: str, start: int, end: int, *, mark_id: str | None = None) -> str:
    """HTML of ``text`` with [start, end) marked; everything escaped."""
    ident = f' id="{mark_id}"' if mark_id else ""
    return (html.escape(text[:start]) + f'<mark class="qa-quote"{ident}>' + html.escape(text[start:end]) + "</mark>"
            + html.escape(text[end:]))


def sources_html(engine: Engine, answer: Answer) -> str:
    sources = shown(answer)
    if not sources:
        return "<p>Citations of the latest answer appear here.</p>"
    parts = [] if answer.found else ["<p><b>No answer in the articles.</b> Closest passages, as related reading (not answers):</p>"]
    for s in sources:
        item = s.item
        doc = engine.document(item.path, answer.generation)
        text = doc.text if doc else None
        meta = f'<div class="qa-meta"><b>{s.marker}</b> {html.escape(s.label)} · characters {item.start}–{item.end}</div>'
        if not s.related and text is not None and text[item.start:item.end] == s.text:  # the quote, marked in its paragraph
            lo, hi = _context(text, item.start, item.end)
            body = (("…" if lo > 0 else "") + highlighted(text[lo:hi], item.start - lo, item.end - lo)
                    + ("…" if hi < len(text) else ""))
        else:  # related reading, or an article changed since: plain, nothing marked as if it answered
            body = html.escape(snippet(s.text, 400))
        parts.append(f'<div class="qa-source">{meta}<div class="qa-context">{body}</div></div>')
    return "".join(parts)


def article_html(engine: Engine, item: Citation | Passage, generation: str = "") -> str:
    doc = engine.document(item.path, generation or None)
    quote = item.quote if isinstance(item, Citation) else item.text
    if doc is None or doc.text[item.start:item.end] != quote:
        return "<p>That article has changed since this answer (the index was rebuilt): ask again to quote it.</p>"
    text = doc.text
    # Boilerplate is shown dimmed, the quote marked; the two never overlap (boilerplate is never cited).
    marks = sorted([(s, e, '<span class="qa-boilerplate">', "</span>") for s, e in doc.boilerplate]
                   + [(item.start, item.end, '<mark class="qa-quote" id="qa-mark">', "</mark>")])
    parts, pos = [], 0
    for s, e, open_tag, close_tag in marks:
        if s < pos:
            continue
        parts += [html.escape(text[pos:s]), open_tag, html.escape(text[s:e]), close_tag]
        pos = e
    body = "".join(parts) + html.escape(text[pos:])
    return (f"<p><b>{html.escape(describe_source(item))}</b><br>Quote at characters {item.start}–{item.end}</p>"
            f'<div id="qa-article">{body}</div>')


def status_text(engine: Engine) -> str:
    info = engine.info
    skipped = f" · {len(info.skipped)} files skipped" if info.skipped else ""
    return (f"**Index:** {info.file_count} articles · {info.chunk_count} passages · built {info.built_at.replace('T', ' ')}"
            f"{skipped} · model {info.model.rsplit('/', 1)[-1]}")


def _choices(answer: Answer) -> list[tuple[str, int]]:
    return [(f"{s.marker} {s.label}", s.n - 1) for s in shown(answer)]


def build(engine: Engine) -> gr.Blocks:
    """The chat UI for ``engine``."""

    def respond(question: str, chat: list, asked: list[str]) -> Iterator[tuple[Any, ...]]:
        question = (question or "").strip()
        chat = list(chat or [])
        if not question:
            yield chat, asked, "", gr.update(), gr.update(), gr.update(), None
            return
        chat.append(gr.ChatMessage(role="user", content=escape_markdown(question)))
        try:
            answer = engine.ask(question, history=list(asked))
        except QAError as e:
            chat.append(gr.ChatMessage(role="assistant", content=f"⚠️ {escape_markdown(str(e))}"))
            yield chat, asked, "", gr.update(), gr.update(), gr.update(), None
            return
        asked = [*asked, question]
        # Stream the reply in a few steps; the full answer is already known and exact.
        words = re.split(r"(\s+)", answer.text)
        step = max(1, len(words) // 8)
        for i in range(step, len(words), step):
            yield chat + [gr.ChatMessage(role="assistant", content=escape_markdown("".join(words[:i])) + " …")], \
                asked, "", gr.update(), gr.update(), gr.update(), None
        chat.append(gr.ChatMessage(role="assistant", content=escape_markdown(answer.text)))
        sources = shown(answer)
        if sources:
            title = f"Sources ({len(sources)})" if answer.found else "Related passages (not answers)"
            lines = [f"**{s.marker}** {escape_markdown(s.label)}\n\n> {escape_markdown(snippet(s.text, 10_000 if not s.related else 400))}"
                     for s in sources]
            chat.append(gr.ChatMessage(role="assistant", content="\n\n".join(lines), metadata={"title": title}))
        choices = _choices(answer)
        yield (chat, asked, "", sources_html(engine, answer),
               gr.update(choices=choices, value=None, visible=bool(choices)),
               "<p>Pick a source above to read it in its article.</p>" if choices else "", answer_json(answer))

    def open_source(choice: int | None, last: dict | None) -> str:
        if choice is None or not last:
            return gr.update()
        kind = "citations" if last["found"] else "passages"
        items = last[kind]
        if not 0 <= choice < len(items):
            return gr.update()
        cls = Citation if kind == "citations" else Passage
        return article_html(engine, cls.from_dict(items[choice]), last.get("generation", ""))

    def clear() -> tuple[Any, ...]:
        return [], [], "", "<p>Citations of the latest answer appear here.</p>", gr.update(choices=[], value=None, visible=False), "", None

    def ask_api(question: str, history: list[str] | None = None) -> str:
        """Answer a question. Returns the Answer as a JSON string: question, text, found, citations
        (path, start, end, quote, title, source, date) and passages. A string, because gradio_client
        would take any object with a "path" for a file to download."""
        try:
            if history is not None and not isinstance(history, list):
                raise BadInputError("history must be a list of the earlier questions, oldest first")
            return json.dumps(answer_json(engine.ask(question, history=list(history or []))), ensure_ascii=False)
        except QAError as e:
            log.info("rejected: %s", e)
            raise gr.Error(str(e)) from None

    with gr.Blocks(title="Ask the articles") as demo:
        gr.Markdown("# Ask the articles\nEvery answer is a verbatim quote from the articles, attributed to its outlet "
                    "and date. Claims are the articles' own, not established facts. Open a source to check the quote "
                    "in its article.")
        gr.Markdown(status_text(engine), elem_id="qa-status")
        asked = gr.State([])
        last = gr.State(None)
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="Chat", height=520, feedback_options=None, buttons=["copy"],
                                     placeholder="Ask a question about the articles.")
                with gr.Row():
                    box = gr.Textbox(placeholder="Ask a question about the articles…", show_label=False, scale=5,
                                     max_length=engine.settings.max_question_chars, elem_id="qa-question", submit_btn=False)
                    send = gr.Button("Ask", variant="primary", scale=1, elem_id="qa-ask")
                gr.Examples(EXAMPLES, inputs=box, label="Examples")
                clear_btn = gr.Button("Clear chat", elem_id="qa-clear")
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                sources = gr.HTML("<p>Citations of the latest answer appear here.</p>", elem_id="qa-sources")
                pick = gr.Radio(choices=[], label="Open in the article", visible=False, elem_id="qa-pick")
                viewer = gr.HTML("", elem_id="qa-viewer")
        outputs = [chatbot, asked, box, sources, pick, viewer, last]
        for event in (box.submit, send.click):
            event(respond, [box, chatbot, asked], outputs, api_visibility="private")
        pick.change(open_source, [pick, last], viewer, api_visibility="private").then(None, js=SCROLL_JS)
        clear_btn.click(clear, None, outputs, api_visibility="private")
        gr.api(ask_api, api_name="ask")
    return demo


def launch(engine: Engine, *, host: str = "127.0.0.1", port: int = 7860, block: bool = True) -> gr.Blocks:
    """Start the chat with hardened defaults: no analytics, no monitoring, no MCP, uploads capped at 1 KB."""
    demo = build(engine)
    demo.queue(default_concurrency_limit=4)
    theme = gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
    demo.launch(server_name=host, server_port=port, css=CSS, theme=theme, enable_monitoring=False, max_file_size=1024,
                footer_links=["api"], show_error=False, mcp_server=False, ssr_mode=False, prevent_thread_lock=not block,
                quiet=not block)
    return demo
