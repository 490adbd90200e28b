"""The web chat: Gradio Blocks around an Engine. Only input, calls and display live here; what a
reply looks like is qa/chatview.py, what an upload may be is qa/uploads.py."""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.utils import get_upload_folder

from qa import chatview, retrieval, uploads
from qa.chatview import Turn
from qa.engine import Engine
from qa.errors import BadInputError, QAError
from qa.render import answer_json

log = logging.getLogger("qa.web")

STATIC = Path(__file__).parent / "static"
# Gradio serves stored files under these routes: the app never needs them (no file is ever shown or
# downloaded from the server), so nothing uploaded can be fetched back.
FILE_ROUTE = re.compile(r"^(/[^/]+)*/file[=/]")
UPLOAD_ROUTE = re.compile(r"^(/[^/]+)*/upload/?$")
MAX_UPLOAD_REQUEST = uploads.MAX_FILES * uploads.MAX_BYTES + 1_000_000


def _asset(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def uploaded(payload: Any) -> list[tuple[str, Path]]:
    """Each upload's client-given name with its temporary path, from the file picker's raw value (the
    event runs with preprocess=False, so a name is checked, and refused when it holds a path, rather
    than silently cut by Gradio). Gradio has already checked every path is one of its uploads; a path
    outside its upload folder is dropped all the same."""
    rows = payload if isinstance(payload, list) else [payload] if payload else []
    root = Path(get_upload_folder()).resolve()
    out = []
    for row in rows:
        if isinstance(row, dict) and isinstance(row.get("path"), str):
            path = Path(row["path"]).resolve()
            if path.is_relative_to(root):
                name = row.get("orig_name")
                out.append((name if isinstance(name, str) and name else path.name, path))
    return out


class Guard:
    """ASGI middleware: no stored file is served (the file routes answer 404), and an upload request
    larger than the caps allow is refused before Gradio reads it."""

    def __init__(self, app: Any, *, max_upload: int = MAX_UPLOAD_REQUEST) -> None:
        self.app = app
        self.max_upload = max_upload

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path = scope.get("path", "")
            if FILE_ROUTE.match(path):
                return await _plain(send, 404, "Not found: this app serves no stored files.")
            if scope.get("method") == "POST" and UPLOAD_ROUTE.match(path):
                length = dict(scope.get("headers") or []).get(b"content-length")
                if length is None or not length.isdigit() or int(length) > self.max_upload:
                    return await _plain(send, 413, f"Upload refused: at most {uploads.MAX_FILES} files of "
                                                   f"{uploads.MAX_BYTES:,} bytes at once.")
        await self.app(scope, receive, send)


async def _plain(send: Any, status: int, text: str) -> None:
    body = text.encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def status_html(engine: Engine) -> str:
    info = engine.info
    outlets = len(info.sources)
    skipped = f" · {len(info.skipped)} files skipped" if info.skipped else ""
    return (f'<div id="qa-status">{info.file_count:,} articles · {info.chunk_count:,} passages · '
            f"{outlets} outlet{'s' if outlets != 1 else ''} · updated {info.built_at[:16].replace('T', ' ')}{skipped}</div>")


def header_html(engine: Engine) -> str:
    return ("<h1>Ask the articles</h1><p class=\"qa-intro\">Every answer is a verbatim quote, attributed to its outlet "
            "and date: the articles' claims, not established facts. Click a marker to check the quote in its "
            "article.</p>" + status_html(engine))


def count_html(limit: int) -> str:
    return f'<div id="qa-count" data-limit="{limit}">Up to {limit:,} characters</div>'


def filters_title(outlets: list[str] | None, since: str | None, until: str | None) -> str:
    label = chatview.filters_label(outlets, (since or "").strip(), (until or "").strip())
    return f"Filters: {label}" if label else "Filters: all outlets, all dates"


def build(engine: Engine, *, articles: str | Path | None = None) -> gr.Blocks:
    """The chat UI for ``engine``; with ``articles`` (the folder the index is built from), a panel adds articles."""
    articles = Path(articles) if articles is not None else None

    def article(turn: Turn, n: int) -> str:
        items = chatview.shown(turn.answer) if turn.answer else []
        doc = engine.document(items[n - 1].item.path, turn.answer.generation) if 0 < n <= len(items) else None
        return chatview.viewer(turn, n, doc)

    def page(turns: list[Turn], opened: tuple[int, int] | None, focus: str) -> tuple[str, str]:
        """The chat and the viewer beside it (the same article as under its reply)."""
        view = article(turns[opened[0]], opened[1]) if opened else chatview.placeholder()
        chat = chatview.conversation(turns, opened=opened, article=lambda t, n: view, focus=focus)
        return chat, view

    def asked(question: str, turns: list[Turn], *, alone: bool, outlets: list[str] | None, since: str | None,
              until: str | None) -> tuple[list[Turn], bool]:
        since, until = (since or "").strip() or None, (until or "").strip() or None
        label = chatview.filters_label(outlets, since, until)
        try:
            retrieval.Filters.make(outlets, since, until, labels=("From", "To"))  # named as the panel names them
            answer = engine.ask(question, history=[] if alone else chatview.history(turns), sources=outlets or None,
                                since=since, until=until)
        except QAError as e:
            log.info("rejected question: %s", e)
            return [*turns, Turn(question, error=str(e), filters=label)], False
        computed = time.time()
        urls = {}
        for s in chatview.shown(answer):
            doc = engine.document(s.item.path, answer.generation)
            if doc is not None and chatview.web_url(doc.url):
                urls[s.item.path] = doc.url
        return [*turns, Turn(answer.question, answer, alone=alone, filters=label, computed=computed,
                             urls=tuple(urls.items()))], True

    def respond(question: str, turns: list[Turn], opened: tuple[int, int] | None, outlets: list[str] | None,
                since: str, until: str) -> tuple[Any, ...]:
        if not (question or "").strip():
            return gr.update(), gr.update(), turns, opened, gr.update()
        turns, ok = asked(question, list(turns or []), alone=False, outlets=outlets, since=since, until=until)
        chat, view = page(turns, opened, f"turn-{len(turns) - 1}")
        return chat, view, turns, opened, ("" if ok else gr.update())  # a refused question stays, to be shortened

    def clicked(evt: gr.EventData, turns: list[Turn], opened: tuple[int, int] | None, outlets: list[str] | None,
                since: str, until: str) -> tuple[Any, ...]:
        data = getattr(evt, "_data", None) or {}
        act = data.get("act") if isinstance(data, dict) else None
        turns = list(turns or [])
        k, n = data.get("turn"), data.get("n")
        valid = isinstance(k, int) and 0 <= k < len(turns)
        if act == "open" and valid and isinstance(n, int) and turns[k].answer is not None \
                and 1 <= n <= len(chatview.shown(turns[k].answer)):
            opened = (k, n)
            chat, view = page(turns, opened, "view")
            return chat, view, turns, opened
        if act == "alone" and valid and turns[k].answer is not None:
            turns, _ = asked(turns[k].question, turns, alone=True, outlets=outlets, since=since, until=until)
        elif act == "ask" and isinstance(data.get("question"), str) and data["question"].strip():
            turns, _ = asked(data["question"], turns, alone=False, outlets=outlets, since=since, until=until)
        else:
            return gr.update(), gr.update(), turns, opened
        chat, view = page(turns, opened, f"turn-{len(turns) - 1}")
        return chat, view, turns, opened

    def cleared() -> tuple[Any, ...]:
        return chatview.empty_html(), chatview.placeholder(), [], None, ""

    def ask_api(question: str, history: list[str] | None = None, sources: list[str] | None = None,
                since: str | None = None, until: str | None = None) -> str:
        """Answer a question. Returns the Answer as a JSON string: question, interpreted, text, found,
        citations (path, start, end, quote, title, source, date, answer_start, answer_end) and passages.
        ``sources`` keeps only those outlets; ``since``/``until`` (YYYY-MM-DD, inclusive) a date range.
        A string, because gradio_client would take any object with a "path" for a file to download."""
        try:
            if history is not None and not isinstance(history, list):
                raise BadInputError("history must be a list of the earlier questions, oldest first")
            answer = engine.ask(question, history=list(history or []), sources=sources or None,
                                since=since or None, until=until or None)
            return json.dumps(answer_json(answer), ensure_ascii=False)
        except QAError as e:
            log.info("rejected question: %s", e)
            raise gr.Error(str(e), print_exception=False) from None

    def added(picked: Any, text: str, title: str, outlet: str, date: str,
              progress: gr.Progress = gr.Progress(track_tqdm=True)) -> tuple[Any, ...]:
        files = uploaded(picked)
        try:
            intake = uploads.save_files(files, articles) if files else uploads.Intake()
            if (text or "").strip():
                pasted = uploads.save_pasted(articles, text=text, title=title, source=outlet, date=date)
                intake = uploads.Intake(intake.saved + pasted.saved, intake.refused + pasted.refused)
        finally:
            _discard(files)
        message = intake.message()
        log.info("add articles: %d saved, %d refused", len(intake.saved), len(intake.refused))
        if intake.saved:
            import qa

            progress(0, desc="Updating the index")
            try:
                summary = qa.update_index(articles, engine.index, settings=engine.settings, embedder=engine.embedder,
                                          progress=True)
                message += (f"\nIndex updated: {summary.files:,} articles, {summary.chunks:,} passages "
                            f"({summary.seconds:.1f} s). Ask away.")
            except QAError as e:
                log.info("index update refused: %s", e)
                message += f"\nThe index was not updated: {e}"
        keep = gr.update() if intake.refused and not intake.saved else ""
        return (message, None, header_html(engine), gr.update(choices=engine.info.sources),
                keep if (text or "").strip() else gr.update(), keep, keep, keep)

    with gr.Blocks(title="Ask the articles", delete_cache=(600, 3600)) as demo:
        turns = gr.State([])
        opened = gr.State(None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=300, elem_id="qa-main"):
                head = gr.HTML(header_html(engine), elem_id="qa-head", js_on_load=None)
                with gr.Row(elem_id="qa-toolbar"):
                    new = gr.Button("New chat", size="sm", elem_id="qa-new", scale=0)
                    export = gr.Button("Export memo (.md)", size="sm", elem_id="qa-export", scale=0)
                with gr.Accordion("Filters: all outlets, all dates", open=False, elem_id="qa-filters") as filters:
                    outlets = gr.Dropdown(choices=engine.info.sources, value=[], multiselect=True, label="Outlets",
                                          info="Only these outlets are searched (none chosen: all).", elem_id="qa-outlets")
                    with gr.Row():
                        since = gr.Textbox(label="From", placeholder="YYYY-MM-DD", elem_id="qa-since", min_width=120)
                        until = gr.Textbox(label="To", placeholder="YYYY-MM-DD", elem_id="qa-until", min_width=120)
                chat = gr.HTML(chatview.empty_html(), elem_id="qa-chat", js_on_load=_asset("chat.js"))
                with gr.Column(elem_id="qa-compose"):
                    with gr.Row(equal_height=True):
                        box = gr.Textbox(placeholder="Ask a question…", show_label=False, lines=1,
                                         max_lines=6, elem_id="qa-question", container=False, scale=5, autofocus=False)
                        send = gr.Button("Ask", variant="primary", elem_id="qa-ask", scale=0, min_width=64)
                    gr.HTML(count_html(engine.settings.max_question_chars), js_on_load=None)
                if articles is not None:
                    with gr.Accordion("Add articles", open=False, elem_id="qa-add"):
                        gr.Markdown(f"`.txt`, `.md` or `.html` files, up to {uploads.MAX_FILES} at once, "
                                    f"{uploads.MAX_BYTES // 2**20} MB each. They are saved into the article "
                                    "folder and the index is updated.")
                        upload = gr.File(file_count="multiple", label="Article files", elem_id="qa-upload",
                                         height=140)
                        with gr.Accordion("Or paste an article", open=False, elem_id="qa-paste"):
                            p_title = gr.Textbox(label="Title", elem_id="qa-p-title")
                            with gr.Row():
                                p_outlet = gr.Textbox(label="Outlet", elem_id="qa-p-outlet", min_width=120)
                                p_date = gr.Textbox(label="Date", placeholder="YYYY-MM-DD", elem_id="qa-p-date",
                                                    min_width=120)
                            p_text = gr.Textbox(label="Text", lines=6, elem_id="qa-p-text")
                        add = gr.Button("Add to the index", variant="secondary", elem_id="qa-add-btn")
                        add_status = gr.Textbox(show_label=False, interactive=False, elem_id="qa-add-status",
                                                lines=2, max_lines=12, container=False)
            with gr.Column(scale=2, min_width=300, elem_id="qa-side"):
                viewer = gr.HTML(chatview.placeholder(), elem_id="qa-viewer", js_on_load=_asset("viewer.js"))

        filter_inputs = [outlets, since, until]
        outputs = [chat, viewer, turns, opened]
        for event in (box.submit, send.click):
            event(respond, [box, turns, opened, *filter_inputs], [*outputs, box], api_visibility="private")
        chat.click(clicked, [turns, opened, *filter_inputs], outputs, api_visibility="private")
        new.click(cleared, None, [*outputs, box], api_visibility="private")
        export.click(None, js=_asset("export.js"))
        for f in filter_inputs:
            f.change(lambda o, s, u: gr.update(label=filters_title(o, s, u)), filter_inputs, filters,
                     api_visibility="private", show_progress="hidden")
        if articles is not None:
            add.click(added, [upload, p_text, p_title, p_outlet, p_date],
                      [add_status, upload, head, outlets, p_text, p_title, p_outlet, p_date],
                      api_visibility="private", concurrency_limit=1, preprocess=False)
        gr.api(ask_api, api_name="ask")
    return demo


def _discard(files: list[tuple[str, Path]]) -> None:
    """Remove processed uploads from Gradio's temporary folder (and their folder, once empty)."""
    root = Path(get_upload_folder()).resolve()
    for _, temp in files:
        try:
            path = Path(temp).resolve()
            if not path.is_relative_to(root):
                continue
            path.unlink(missing_ok=True)
            if path.parent != root and not any(path.parent.iterdir()):
                path.parent.rmdir()
        except OSError:
            pass


def launch(engine: Engine, *, articles: str | Path | None = None, host: str = "127.0.0.1", port: int = 7860,
           block: bool = True) -> gr.Blocks:
    """Start the chat with hardened defaults: no analytics, monitoring or MCP; uploads capped and never served."""
    from starlette.middleware import Middleware

    demo = build(engine, articles=articles)
    demo.queue(default_concurrency_limit=4)
    theme = gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
    demo.launch(server_name=host, server_port=port, css=_asset("chat.css"), js=_asset("page.js"), theme=theme,
                enable_monitoring=False, max_file_size=uploads.MAX_BYTES, footer_links=["api"], show_error=False,
                mcp_server=False, ssr_mode=False, prevent_thread_lock=not block, quiet=True,
                app_kwargs={"middleware": [Middleware(Guard)]})
    return demo
