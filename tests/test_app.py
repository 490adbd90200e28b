"""The web chat, launched for real on 127.0.0.1 and driven through gradio_client."""

from __future__ import annotations

import json

import pytest

from conftest import ARTICLES, SEED_A, SEED_B, read_text

pytestmark = pytest.mark.slow

TEXTS = {p: read_text(ARTICLES / p) for p in (SEED_A, SEED_B)}


@pytest.fixture(scope="module")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


def _ask(client, question: str, history: list[str] | None = None, *filters) -> dict:
    return json.loads(client.predict(question, history or [], *filters, api_name="/ask"))


def test_answer_with_valid_citations(client):
    answer = _ask(client, "Which governorate are the White Helmets being evacuated from?")
    assert answer["found"] is True
    first = answer["citations"][0]
    assert first["path"] == SEED_B and "Quneitra governorate" in first["quote"]
    for c in answer["citations"]:
        assert TEXTS[c["path"]][c["start"]:c["end"]] == c["quote"]
    assert answer["text"].startswith("According to Sputnik (20 July 2018), “")


def test_follow_up_uses_history(client):
    answer = _ask(client, "When was it founded?", ["Who founded the White Helmets?"])
    assert answer["found"] is True
    assert "in\u00a02014" in answer["citations"][0]["quote"]


def test_refusal_lists_related_passages_only(client):
    answer = _ask(client, "Who won the 2018 FIFA World Cup?")
    assert answer["found"] is False and answer["citations"] == []
    assert answer["text"].startswith("The articles do not answer this question.")
    assert all(TEXTS[p["path"]][p["start"]:p["end"]] == p["text"] for p in answer["passages"])


@pytest.mark.parametrize("question,message", [("", "empty"), ("x" * 5000, "too long")])
def test_bad_questions_get_a_clear_message(client, question, message):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=message):
        _ask(client, question)


def test_filters_outlet_and_dates(client):
    sputnik = _ask(client, "Who founded the White Helmets?", [], ["sputnik"])
    assert sputnik["citations"] and {c["source"] for c in sputnik["citations"]} == {"Sputnik"}
    recent = _ask(client, "Who founded the White Helmets?", [], None, "2021-01-01")
    assert recent["citations"] and {c["path"] for c in recent["citations"]} == {SEED_A}
    older = _ask(client, "Who founded the White Helmets?", [], [], "", "2018-12-31")
    assert older["citations"] and {c["path"] for c in older["citations"]} == {SEED_B}


@pytest.mark.parametrize("filters,message", [((None, "yesterday"), "since must be a date as YYYY-MM-DD"),
                                             ((None, None, "2018-13-01"), "until must be a date"),
                                             (([1, 2],), "sources must be a list of outlet names")])
def test_bad_filters_get_a_clear_message(client, filters, message):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=message):
        _ask(client, "Who founded the White Helmets?", [], *filters)


def test_a_rejected_question_is_a_message_over_plain_http(app_url):
    """Not {"error": null}: the one-line message, for any HTTP client."""
    import httpx

    event = httpx.post(app_url + "gradio_api/call/ask", json={"data": ["", [], None, None, None]}, timeout=30).json()["event_id"]
    stream = httpx.get(app_url + f"gradio_api/call/ask/{event}", timeout=30).text
    assert "event: error" in stream and "the question is empty: type a question about the articles" in stream


def test_the_server_log_says_one_line_per_rejection_and_no_share_hint(seed_index, tmp_path):
    """app.py as a person starts it: no "share=True" hint; a rejected question is one log line, no traceback."""
    import os
    import subprocess
    import sys
    import time

    import httpx
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    from conftest import ROOT, free_port

    port = free_port()
    log = tmp_path / "app.log"
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--index", str(seed_index), "--articles",
                                 str(tmp_path / "articles"), "--port", str(port)], stdout=out, stderr=subprocess.STDOUT,
                                env=env, cwd=tmp_path)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        client = Client(url, verbose=False)
        for question in ("x" * 2500, "   "):
            with pytest.raises(AppError):
                client.predict(question, [], api_name="/ask")
        time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    text = log.read_text()
    assert "Traceback" not in text and "share=True" not in text and "public link" not in text
    assert f"Open http://127.0.0.1:{port} in a browser" in text
    rejected = [line for line in text.splitlines() if "rejected question" in line]
    assert len(rejected) == 2
    assert rejected[0].endswith("qa.web: rejected question: the question is too long (2,500 characters; the limit is 2,000)")
