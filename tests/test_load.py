"""Twenty chat sessions at once against the app on 127.0.0.1, for a fixed time: no errors, every
citation exact. Prints latency p50/p95 and writes them to tests/artifacts/load.json."""

from __future__ import annotations

import json
import statistics
import threading
import time
from pathlib import Path

import pytest

from conftest import ARTICLES, SEED_A, SEED_B, read_text

pytestmark = pytest.mark.slow

SESSIONS = 20
SECONDS = 20.0
CHATS = [
    ["Who founded the White Helmets?", "When was it founded?", "Who funds them?"],
    ["Which governorate are the White Helmets being evacuated from?", "Which countries are leading it?"],
    ["How much money did the US release for the White Helmets last month?", "What is the population of Damascus?"],
    ["Where did most of the talks on the topic take place?", "Who won the 2018 FIFA World Cup?"],
]


def test_twenty_concurrent_sessions(app_url):
    from gradio_client import Client

    texts = {p: read_text(ARTICLES / p) for p in (SEED_A, SEED_B)}
    latencies: list[float] = []
    errors: list[str] = []
    bad_citations: list[str] = []
    answers = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS

    def session(n: int) -> None:
        try:
            client = Client(app_url, verbose=False)
        except Exception as e:  # noqa: BLE001 - every failure is counted and reported
            with lock:
                errors.append(f"connect: {e}")
            return
        chat = CHATS[n % len(CHATS)]
        turn = 0
        while time.monotonic() < deadline:
            question = chat[turn % len(chat)]
            history = chat[: turn % len(chat)]
            t0 = time.perf_counter()
            try:
                answer = json.loads(client.predict(question, history, api_name="/ask"))
            except Exception as e:  # noqa: BLE001
                with lock:
                    errors.append(f"{question}: {e}")
                return
            elapsed = time.perf_counter() - t0
            with lock:
                latencies.append(elapsed)
                answers[0] += 1
                for c in answer["citations"]:
                    if texts[c["path"]][c["start"]:c["end"]] != c["quote"]:
                        bad_citations.append(f"{c['path']}[{c['start']}:{c['end']}]")
            turn += 1

    threads = [threading.Thread(target=session, args=(n,)) for n in range(SESSIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=SECONDS + 120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert bad_citations == []
    assert answers[0] >= SESSIONS  # every session got at least one answer
    ms = sorted(x * 1000 for x in latencies)
    report = {"sessions": SESSIONS, "seconds": SECONDS, "answers": answers[0],
              "answers_per_second": round(answers[0] / SECONDS, 1),
              "p50_ms": round(statistics.median(ms), 1), "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1)}
    out = Path(__file__).parent / "artifacts"
    out.mkdir(exist_ok=True)
    (out / "load.json").write_text(json.dumps(report, indent=1))
    print("load:", report)
