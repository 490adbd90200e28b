"""Bad input, crashes mid-build, concurrent writers, a rebuild under a running engine."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import qa
from qa import documents, store
from qa.chunking import chunk_document
from qa.engine import Engine

from conftest import ARTICLES, SEED_A, SEED_B, FakeEmbedder

QA = str(Path(sys.executable).with_name("qa"))
ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}


# -- bad articles -----------------------------------------------------------------------------

@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.one_of(
    st.binary(max_size=3000),
    st.text(max_size=2000).map(lambda t: t.encode("utf-8", "replace")),
    st.text(alphabet="<>/=\"' abcdefghij\n&;#!-[]()", max_size=1500).map(lambda t: ("<html><body>" + t).encode()),
), suffix=st.sampled_from([".txt", ".md", ".html"]))
def test_any_bytes_are_read_or_skipped_and_chunks_stay_exact(tmp_path_factory, data, suffix):
    root = tmp_path_factory.mktemp("fuzz")
    (root / f"a{suffix}").write_bytes(data)
    scan = documents.scan(root, max_bytes=10**6)
    assert len(scan.documents) + len(scan.skipped) == 1
    for doc in scan.documents:
        for c in chunk_document(doc, size=64, overlap=16, max_model_tokens=256):
            assert doc.text[c.start:c.end] == c.text
        if suffix != ".html" and doc.encoding == "utf-8":
            with open(root / doc.path, encoding="utf-8-sig", newline="") as f:
                assert f.read() == doc.text  # UTF-8 text is stored exactly as CONTRACT.md reads it


def test_broken_html_and_mixed_newlines_are_indexed(tmp_path, fake_embedder):
    (tmp_path / "broken.html").write_text("<html><body><p>Unclosed paragraph about Zanzibar ferries.<div><b>bold "
                                          "<i>nested</b> text</p></span>", encoding="utf-8")
    (tmp_path / "newlines.txt").write_bytes(b"First line about lighthouses.\r\nSecond line.\rThird line.\n\r\nFourth.")
    summary = qa.build_index(tmp_path, tmp_path / "index", embedder=fake_embedder)
    assert summary.files == 2 and summary.skipped == {}
    engine = Engine.load(tmp_path / "index", embedder=fake_embedder)
    assert "Zanzibar" in engine.retrieve("Zanzibar ferries", k=1)[0].text


def test_a_file_that_vanishes_mid_build_is_skipped(articles, tmp_path, fake_embedder, monkeypatch):
    real = documents._inside

    def vanishing(root, file):
        found = real(root, file)
        if file.name == SEED_A:
            file.unlink()  # deleted after the folder was listed, before it is read
        return found

    monkeypatch.setattr(documents, "_inside", vanishing)
    summary = qa.build_index(articles, tmp_path / "index", embedder=fake_embedder)
    assert summary.files == 1 and summary.skipped == {SEED_A: "No such file or directory"}


# -- a running engine follows rebuilds -------------------------------------------------------

def test_engine_keeps_answering_and_switches_after_a_rebuild(articles, tmp_path, fake_embedder):
    index = tmp_path / "index"
    qa.build_index(articles, index, embedder=fake_embedder)
    engine = Engine.load(index, embedder=fake_embedder)
    before = engine.snapshot.name
    (articles / "zanzibar.txt").write_text("The Zanzibar ferry sank in 2012. Rescuers saved many.", encoding="utf-8")
    qa.update_index(articles, index, embedder=fake_embedder)
    assert engine.retrieve("Zanzibar ferry", k=1)[0].path == "zanzibar.txt"
    assert engine.snapshot.name != before
    # A damaged new generation does not take the engine down: it keeps the last good one.
    live = store.current(index)
    (live / "documents.jsonl").write_text("not json\n")
    (articles / "other.txt").write_text("Another article on lighthouses.", encoding="utf-8")
    qa.build_index(articles, index, embedder=fake_embedder)
    new = store.current(index)
    (new / "chunks.jsonl").write_text("{broken\n")
    assert engine.retrieve("Zanzibar ferry", k=1)[0].path == "zanzibar.txt"


# -- crashes: SIGKILL at random points -------------------------------------------------------

def _state(index: Path) -> frozenset[str]:
    """The article set of the live index, after checking it loads and is consistent."""
    gen = store.read(index)
    for c in gen.chunks:
        assert gen.documents[c.path].text[c.start:c.end] == c.text
    assert gen.vectors.shape[0] == sum(len(c.sentences) for c in gen.chunks)
    return frozenset(gen.manifest["files"])


@pytest.mark.slow
@pytest.mark.parametrize("command", ["build", "update"])
def test_sigkill_at_random_points_leaves_old_or_new_index(tmp_path, command, real_embedder):
    articles = tmp_path / "articles"
    articles.mkdir()
    for name in (SEED_A, SEED_B):
        (articles / name).write_bytes((ARTICLES / name).read_bytes())
    index = tmp_path / "index"
    qa.build_index(articles, index, embedder=real_embedder)
    old = _state(index)
    (articles / "extra.txt").write_text("An extra article about lighthouse keepers. They work at night.", encoding="utf-8")
    new = old | {"extra.txt"}
    # Time one whole run (from the old state), so the kills spread over every phase of it.
    t0 = time.monotonic()
    subprocess.run([QA, "index", command, str(articles), "--index", str(index), "--quiet"], env=ENV, check=True,
                   capture_output=True)
    whole = time.monotonic() - t0
    (articles / "extra.txt").rename(tmp_path / "extra.txt")
    qa.build_index(articles, index, embedder=real_embedder)
    (tmp_path / "extra.txt").rename(articles / "extra.txt")
    assert _state(index) == old
    rng = random.Random(command)
    outcomes = {"old": 0, "new": 0}
    for i in range(8):
        proc = subprocess.Popen([QA, "index", command, str(articles), "--index", str(index), "--quiet"], env=ENV,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Eight kills, one in each eighth of the run's duration (the last may land after it ended).
        time.sleep(whole * rng.uniform(i / 8, (i + 1) / 8) * 1.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        state = _state(index)
        assert state in (old, new)
        outcomes["new" if state == new else "old"] += 1
        engine = Engine.load(index, embedder=real_embedder)
        answer = engine.ask("Which governorate are the White Helmets being evacuated from?")
        assert answer.found and "Quneitra" in answer.citations[0].quote
        if state == new:  # start again from the old state so later kills can land mid-write too
            (articles / "extra.txt").rename(tmp_path / "extra.txt")
            qa.build_index(articles, index, embedder=real_embedder)
            (tmp_path / "extra.txt").rename(articles / "extra.txt")
    print(f"SIGKILL during qa index {command} (a whole run: {whole:.1f} s): index left at {outcomes}")
    r = subprocess.run([QA, "index", command, str(articles), "--index", str(index), "--quiet"], env=ENV, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert _state(index) == new
    assert [p.name for p in index.iterdir() if p.name.startswith(".tmp-")] == []


@pytest.mark.slow
def test_two_concurrent_builds_one_fails_clearly(tmp_path, real_embedder):
    index = tmp_path / "index"
    procs = [subprocess.Popen([QA, "index", "build", str(ARTICLES), "--index", str(index), "--quiet"], env=ENV,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(), p.stdout.read(), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _, _ in results)
    if codes == [0, 0]:
        pytest.skip("the two builds did not overlap on this machine (one finished before the other started)")
    assert codes == [0, 1]
    loser = next(err for code, _, err in results if code == 1)
    assert loser.strip() == f"qa: error: another build or update is writing {index}: wait for it to finish, then try again"
    assert _state(index) == frozenset({SEED_A, SEED_B})


# -- bad questions through the CLI (in-process; tests/test_cli.py checks the process boundary) -------

@pytest.mark.slow
@pytest.mark.parametrize("question,expect", [
    ("", "qa: error: the question is empty"),
    ("   ", "qa: error: the question is empty"),
    ("x" * 100_000, "qa: error: the question is too long (100,000 characters; the limit is 2,000)"),
    ("?!.,;:", None), ("<|endoftext|>", None), ("\x01\x02 control \x7f", None), ("Кто основал «Белые каски»?", None),
    ("Who \udcff?", None),
])
def test_bad_questions_in_the_cli(capsys, seed_index, question, expect):
    from qa import cli

    code = cli.run(["ask", question, "--index", str(seed_index)])
    out, err = capsys.readouterr()
    if expect:
        assert code == 1 and err.startswith(expect) and len(err.strip().splitlines()) == 1
    else:
        assert code == 0 and out.strip() and err == ""
