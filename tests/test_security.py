"""Nothing outside what the app serves can be read through it; article markup renders inert."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

import qa
from qa.engine import Engine

from conftest import ARTICLES, free_port

pytestmark = pytest.mark.slow

EVIL = """Evil Test Page Header Line

The harbour authority said the <script>window.__pwned = 1; alert('x')</script> lighthouse closed in 1999.
A photo of the lighthouse: <img src="http://127.0.0.2/evil.png" onerror="window.__pwned = 2"> was taken.
Markdown too: ![tracker](http://127.0.0.2/t.png) and [a link](javascript:alert(1)) and **bold** claims.
"""


@pytest.fixture(scope="module")
def evil_app(tmp_path_factory, real_embedder):
    from qa import web

    folder = tmp_path_factory.mktemp("evil")
    articles = folder / "articles"
    shutil.copytree(ARTICLES, articles)
    (articles / "evil.txt").write_text(EVIL, encoding="utf-8")
    qa.build_index(articles, folder / "index", embedder=real_embedder)
    engine = Engine.load(folder / "index", embedder=real_embedder)
    port = free_port()
    demo = web.launch(engine, host="127.0.0.1", port=port, block=False)
    yield f"http://127.0.0.1:{port}"
    demo.close()


TRAVERSALS = [
    "/gradio_api/file=/etc/passwd",
    "/gradio_api/file=../../../../../../etc/passwd",
    "/gradio_api/file=..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/gradio_api/file=%2Fetc%2Fpasswd",
    "/file=/etc/passwd",
    "/gradio_api/file=articles/000_9ce664b5036eb0e2.txt",
    "/gradio_api/file=qa/settings.py",
    "/gradio_api/file=" + str(Path(__file__).resolve()),
    "/static/../../../../etc/passwd",
    "/assets/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/gradio_api/upload",
]


@pytest.mark.parametrize("route", TRAVERSALS)
def test_no_host_file_is_served(evil_app, route):
    r = httpx.get(evil_app + route, timeout=10)
    assert r.status_code in (400, 403, 404, 405, 422), (route, r.status_code)
    assert "root:" not in r.text and "Settings" not in r.text and "White Helmets" not in r.text


def test_uploads_are_capped(evil_app):
    from qa.uploads import MAX_BYTES

    r = httpx.post(evil_app + "/gradio_api/upload", files={"files": ("a.txt", b"x" * (MAX_BYTES + 1))}, timeout=30)
    assert r.status_code == 413


def test_an_oversized_upload_request_is_refused_before_it_is_read(evil_app):
    """A request claiming more than the caps allow is answered 413 at once, its body never read."""
    import socket

    host, port = evil_app.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"POST /gradio_api/upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                  b"Content-Length: 999999999999\r\n\r\n")
        answer = ""
        while "Upload refused" not in answer and (chunk := s.recv(4096)):  # the body may come in a second packet
            answer += chunk.decode("latin-1")
    assert answer.startswith("HTTP/1.1 413") and "Upload refused: at most 50 files" in answer


def test_an_uploaded_file_is_never_served_back(evil_app):
    r = httpx.post(evil_app + "/gradio_api/upload", files={"files": ("note.txt", b"secret upload")}, timeout=30)
    assert r.status_code == 200
    (stored,) = r.json()
    assert Path(stored).read_bytes() == b"secret upload"  # it was stored (until processed or expired) ...
    for route in (f"/gradio_api/file={stored}", f"/gradio_api/file/{stored}", f"/file={stored}"):
        got = httpx.get(evil_app + route, timeout=10)  # ... but no route gives it back
        assert got.status_code == 404 and "secret upload" not in got.text, route


@pytest.mark.browser
def test_article_markup_renders_inert_in_chromium(evil_app, browser):
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(evil_app, wait_until="load")
    page.wait_for_selector("#qa-question textarea", timeout=30_000)
    page.fill("#qa-question textarea", "When did the harbour authority say the lighthouse closed?")
    page.click("#qa-ask")
    page.wait_for_selector("#qa-chat .qa-reply", timeout=30_000)
    page.locator("#qa-chat button.qa-ref").first.click()
    page.wait_for_selector("#qa-viewer mark.qa-quote", timeout=10_000)
    page.wait_for_timeout(800)
    page.screenshot(path=str(Path(__file__).parent / "artifacts" / "4-inert-markup.png"), full_page=True)
    body = page.inner_text("body")
    assert "<script>window.__pwned = 1; alert('x')</script>" in page.inner_text("#qa-viewer")  # shown as text
    assert "<script>window.__pwned = 1; alert('x')</script>" in page.inner_text("#qa-chat")  # in the reply too
    assert page.evaluate("window.__pwned === undefined")
    assert dialogs == []
    assert page.locator("img[src*='127.0.0.2'], img[src*='evil'], a[href^='javascript']").count() == 0
    assert not any("127.0.0.2" in u for u in requests)
    page.close()


def test_the_add_articles_handler_takes_only_gradio_uploads():
    """Whatever path a crafted request names, only files inside Gradio's upload folder are taken."""
    from gradio.utils import get_upload_folder

    from qa.web import uploaded

    inside = Path(get_upload_folder()) / "abc" / "a.txt"
    assert uploaded([{"path": "/etc/passwd", "orig_name": "a.txt"}, {"path": str(ARTICLES / "x.txt")},
                     {"path": str(inside) + "/../../../../etc/passwd"}, "junk", None]) == []
    assert uploaded([{"path": str(inside), "orig_name": "../up.txt"}]) == [("../up.txt", inside.resolve())]
