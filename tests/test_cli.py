"""The ``qa`` command: behaviour in-process through ``cli.run(argv)``; a few runs of the real entry
point for what only a process shows (exit codes, no traceback, no torch for --help)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qa import cli

from conftest import ARTICLES, SEED_B, read_text

QA = str(Path(sys.executable).with_name("qa"))
ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}


def qa_process(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([QA, *args], capture_output=True, text=True, env=ENV, timeout=600)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- the process boundary -------------------------------------------------------------------------

def test_help_explains_and_loads_no_model():
    r = qa_process("--help")
    assert r.returncode == 0
    for word in ("index", "ask", "eval", "examples:", "--source"):
        assert word in r.stdout
    code = "import sys, qa.cli; qa.cli._parser(); print('torch' in sys.modules, 'faiss' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False False"


def test_errors_are_one_line_with_exit_status_1(tmp_path):
    r = qa_process("ask", "Who?", "--index", str(tmp_path / "missing"))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [f"qa: error: no index in {tmp_path / 'missing'}: build one with "
                                             f"`qa index build ARTICLES --index {tmp_path / 'missing'}`"]


def test_a_question_that_is_not_utf8_is_an_error_not_a_traceback(tmp_path):
    r = subprocess.run([QA.encode(), b"ask", b"Who \xff?", b"--index", str(tmp_path / "missing").encode()],
                       capture_output=True, env=ENV, timeout=600)
    assert r.returncode == 1 and b"Traceback" not in r.stderr
    assert r.stderr.decode().startswith("qa: error: no index in")


def test_a_closed_pipe_is_not_a_traceback(seed_index):
    r = subprocess.run(f"'{QA}' index status --index '{seed_index}' --json | head -c 10", shell=True,
                       capture_output=True, text=True, env=ENV, timeout=600)
    assert r.stdout == '{\n "index_'[:10] and "Traceback" not in r.stderr and "BrokenPipe" not in r.stderr


# -- behaviour, in-process ---------------------------------------------------------------------

def test_usage_errors(capsys, tmp_path):
    code, _, err = run(capsys, "index", "build", str(tmp_path / "nowhere"), "--index", str(tmp_path / "i"))
    assert code == 1 and err == f"qa: error: article folder not found: {tmp_path / 'nowhere'} (give a folder of .txt, .md or .html files)\n"
    code, _, err = run(capsys, "frobnicate")
    assert code == 2 and "invalid choice" in err


def test_an_empty_question_is_refused_before_any_index_or_model_loads(capsys, tmp_path):
    code, out, err = run(capsys, "ask", "   ", "--index", str(tmp_path / "missing"))
    assert (code, out) == (1, "") and err == "qa: error: the question is empty: type a question about the articles\n"


@pytest.mark.parametrize("args,message", [
    (["--since", "last week"], "since must be a date as YYYY-MM-DD, not 'last week'"),
    (["--until", "2018-13-01"], "until must be a date as YYYY-MM-DD, not '2018-13-01'"),
])
def test_bad_filters_are_one_line(capsys, tmp_path, args, message):
    code, _, err = run(capsys, "ask", "Who?", "--index", str(tmp_path / "missing"), *args)
    assert code == 1 and err == f"qa: error: {message}\n"


def test_an_os_error_is_one_line(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run(capsys, "index", "build", str(ARTICLES), "--index", str(blocker / "index"))
    assert code == 1 and err.startswith("qa: error: ") and err.count("\n") == 1


@pytest.mark.slow
def test_build_update_status_ask_eval(capsys, tmp_path, real_embedder):
    index = tmp_path / "index"
    code, out, err = run(capsys, "index", "build", str(ARTICLES), "--index", str(index), "--quiet")
    assert code == 0, err
    assert out.startswith("indexed 2 files, ")

    code, out, _ = run(capsys, "index", "update", str(ARTICLES), "--index", str(index))
    assert code == 0 and "(0 sentences embedded, 2 files unchanged, 0 removed)" in out

    code, out, _ = run(capsys, "index", "status", "--index", str(index))
    assert code == 0
    assert "all-MiniLM-L6-v2-qa" in out and "2 files" in out
    assert "Sputnik, 2018-07-20, US Rushes to Withdraw White Helmets" in out
    code, out, _ = run(capsys, "index", "status", "--index", str(index), "--json")
    info = json.loads(out)
    assert info["chunk_count"] > 0 and {f["path"] for f in info["files"]} == {"000_9ce664b5036eb0e2.txt", SEED_B}

    code, out, err = run(capsys, "ask", "Which governorate are the White Helmets being evacuated from?", "--index",
                         str(index), "--json")
    assert code == 0, err
    answer = json.loads(out)
    c = answer["citations"][0]
    assert c["path"] == SEED_B and read_text(ARTICLES / SEED_B)[c["start"]:c["end"]] == c["quote"]

    code, out, _ = run(capsys, "ask", "When was it founded?", "--history", "Who founded the White Helmets?", "--index", str(index))
    assert code == 0
    assert out.startswith("Read as: When was it founded? (following “Who founded the White Helmets?”)\n")
    assert "According to Sputnik (20 July 2018)" in out and "[1] Sputnik, 20 July 2018" in out

    # Filters: only Sputnik's article may be cited; a date range that holds no article refuses.
    code, out, _ = run(capsys, "ask", "Who founded the White Helmets?", "--index", str(index), "--json", "--source", "sputnik")
    assert {c["path"] for c in json.loads(out)["citations"]} == {SEED_B}
    code, out, _ = run(capsys, "ask", "Who founded the White Helmets?", "--index", str(index), "--json", "--since", "2030-01-01")
    assert json.loads(out)["found"] is False and json.loads(out)["passages"] == []

    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"question": "Which governorate are the White Helmets being evacuated from?",
                                     "history": [], "answerable": True,
                                     "answers": [{"file": SEED_B, "start": 644, "end": 664, "text": "Quneitra governorate"}]})
                         + "\n" + json.dumps({"question": "Who won the 2018 FIFA World Cup?", "history": [],
                                              "answerable": False, "answers": []}) + "\n")
    code, out, err = run(capsys, "eval", str(questions), "--articles", str(ARTICLES), "--index", str(index), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert (report["answer@1"], report["hit@1"], report["exact"], report["refused_unanswerable"], report["false_refusal"]) \
        == (1.0, 1.0, 1.0, 1.0, 0.0)


def test_eval_checks_quotes_against_the_files_on_disk(capsys, tmp_path, fake_embedder):
    """`exact` compares with the article file, so an article edited after the build shows up."""
    import qa
    from qa.engine import Engine
    from qa.evaluation import score

    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "a.txt").write_text("The lighthouse closed in 1999. Keepers left the island.", encoding="utf-8")
    qa.build_index(articles, tmp_path / "index", embedder=fake_embedder)
    engine = Engine.load(tmp_path / "index", embedder=fake_embedder)
    rows = [{"question": "When did the lighthouse close?", "answerable": True,
             "answers": [{"file": "a.txt", "start": 0, "end": 30}]}]
    assert score(engine, rows, articles=articles)["exact"] == 1.0
    (articles / "a.txt").write_text("Changed text entirely, so no quote matches any more.", encoding="utf-8")
    assert score(engine, rows, articles=articles)["exact"] == 0.0


@pytest.mark.parametrize("line,message", [
    ('{"question": "Q?", "answerable": true, "answers": "notalist"}', "'answers' must be a list"),
    ('{"question": 5, "answerable": true}', "needs at least 'question'"),
    ('{"question": "Q?", "answerable": true, "history": "Who?"}', "'history' must be a list"),
    ("[1, 2", "cannot read question set"),
])
def test_eval_rejects_a_bad_question_set_in_one_line(capsys, tmp_path, line, message):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(line + "\n", encoding="utf-8")
    code, _, err = run(capsys, "eval", str(bad), "--articles", str(ARTICLES), "--index", str(tmp_path / "i"))
    assert code == 1 and message in err and err.count("\n") == 1
