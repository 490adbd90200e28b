"""The ``qa`` command, driven through its real entry point in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ARTICLES, SEED_B, read_text

QA = str(Path(sys.executable).with_name("qa"))
ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}


def qa(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([QA, *args], capture_output=True, text=True, env=ENV, cwd=cwd, timeout=600)


def test_help_explains_and_loads_no_model():
    r = qa("--help")
    assert r.returncode == 0
    for word in ("index", "ask", "eval", "examples:"):
        assert word in r.stdout
    code = "import sys, qa.cli; qa.cli._parser(); print('torch' in sys.modules, 'faiss' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False False"


def test_errors_are_one_line(tmp_path):
    r = qa("ask", "Who?", "--index", str(tmp_path / "missing"))
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [f"qa: error: no index in {tmp_path / 'missing'}: build one with "
                                             f"`qa index build ARTICLES --index {tmp_path / 'missing'}`"]
    r = qa("index", "build", str(tmp_path / "nowhere"), "--index", str(tmp_path / "i"))
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1 and "article folder not found" in r.stderr


@pytest.mark.slow
def test_build_update_status_ask_eval(tmp_path):
    index = tmp_path / "index"
    r = qa("index", "build", str(ARTICLES), "--index", str(index))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("indexed 2 files, ")

    r = qa("index", "update", str(ARTICLES), "--index", str(index))
    assert r.returncode == 0 and "(0 sentences embedded, 2 files unchanged, 0 removed)" in r.stdout

    r = qa("index", "status", "--index", str(index))
    assert r.returncode == 0
    assert "sentence-transformers/all-MiniLM-L6-v2" in r.stdout and "2 files" in r.stdout
    assert "Sputnik, 2018-07-20, US Rushes to Withdraw White Helmets" in r.stdout

    r = qa("ask", "Which governorate are the White Helmets being evacuated from?", "--index", str(index), "--json")
    assert r.returncode == 0, r.stderr
    answer = json.loads(r.stdout)
    c = answer["citations"][0]
    assert c["path"] == SEED_B and read_text(ARTICLES / SEED_B)[c["start"]:c["end"]] == c["quote"]

    r = qa("ask", "When was it founded?", "--history", "Who founded the White Helmets?", "--index", str(index))
    assert r.returncode == 0
    assert r.stdout.startswith("According to Sputnik (20 July 2018)") and "[1] Sputnik, 20 July 2018" in r.stdout

    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"question": "Which governorate are the White Helmets being evacuated from?",
                                     "history": [], "answerable": True,
                                     "answers": [{"file": SEED_B, "start": 644, "end": 664, "text": "Quneitra governorate"}]})
                         + "\n" + json.dumps({"question": "Who won the 2018 FIFA World Cup?", "history": [],
                                              "answerable": False, "answers": []}) + "\n")
    r = qa("eval", str(questions), "--articles", str(ARTICLES), "--index", str(index), "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert (report["answer@1"], report["hit@1"], report["exact"], report["refused_unanswerable"], report["false_refusal"]) \
        == (1.0, 1.0, 1.0, 1.0, 0.0)
