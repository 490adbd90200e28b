"""A person's path in headless Chromium: ask a seed question, see the cited answer, open the source,
find the quote highlighted in the article. Screenshots go to tests/artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SHOTS = Path(__file__).parent / "artifacts"


def test_ask_open_source_and_see_the_quote(browser, app_url):
    SHOTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
    page.goto(app_url, wait_until="load")
    page.wait_for_selector("#qa-question textarea", timeout=30_000)
    assert "2 articles" in page.inner_text("#qa-status")

    page.fill("#qa-question textarea", "Which governorate are the White Helmets being evacuated from?")
    page.click("#qa-ask")
    page.wait_for_selector("#qa-sources mark.qa-quote", timeout=30_000)
    page.wait_for_timeout(1000)  # let the streamed reply settle
    page.screenshot(path=str(SHOTS / "1-answer.png"), full_page=True)
    assert "According to Sputnik (20 July 2018), “The US and its allies" in page.inner_text("body")
    assert "Quneitra governorate" in page.inner_text("#qa-sources mark.qa-quote")

    page.locator("#qa-pick label").first.click()
    page.wait_for_selector("#qa-mark", timeout=10_000)
    page.wait_for_timeout(500)
    page.screenshot(path=str(SHOTS / "2-article.png"), full_page=True)
    mark = page.locator("#qa-mark")
    assert "Quneitra governorate" in mark.inner_text()
    box, frame = mark.bounding_box(), page.locator("#qa-article").bounding_box()
    assert box and frame and frame["y"] <= box["y"] <= frame["y"] + frame["height"]  # scrolled into view
    assert outside == []  # nothing fetched from outside this machine


def test_refusal_and_clear(browser, app_url):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(app_url, wait_until="load")
    page.wait_for_selector("#qa-question textarea", timeout=30_000)
    page.fill("#qa-question textarea", "Who won the 2018 FIFA World Cup?")
    page.click("#qa-ask")
    page.wait_for_selector("text=The articles do not answer this question.", timeout=30_000)
    page.wait_for_selector("text=Related passages (not answers)", timeout=10_000)
    page.screenshot(path=str(SHOTS / "3-refusal.png"), full_page=True)
    assert "No answer in the articles." in page.inner_text("#qa-sources")
    page.click("#qa-clear")
    page.wait_for_function("!document.querySelector('#qa-sources').innerText.includes('No answer in the articles.')",
                           timeout=10_000)
    assert "Citations of the latest answer appear here." in page.inner_text("#qa-sources")
