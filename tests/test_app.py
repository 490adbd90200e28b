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


def _ask(client, question: str, history: list[str] | None = None) -> dict:
    return json.loads(client.predict(question, history or [], api_name="/ask"))


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


def test_html_in_an_article_is_shown_as_text(seed_engine):
    from qa.results import Citation
    from qa.web import escape_markdown, highlighted

    evil = 'x <script>alert(1)</script> ![img](http://evil.example/a.png) <img src=x onerror="alert(2)"> [link](http://e.x)'
    shown = highlighted(evil, 2, 10)
    assert "<script>" not in shown and "&lt;script&gt;" in shown and "<img" not in shown
    md = escape_markdown(evil)
    assert "![img](" not in md and "[link](" not in md and "<script>" not in md
