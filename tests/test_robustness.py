"""Regression tests for the defects of issue 10 on the index side: each reproduces an attack that
once gave a traceback, a lost index or a leaked file, and pins what happens now."""

from __future__ import annotations

import errno
import json
import os
import threading
from pathlib import Path

import numpy as np
import pytest

import qa
from qa import columns, store
from qa.engine import Engine
from qa.errors import IndexCorruptError, IndexMissingError, QAError

from conftest import SEED_A, SEED_B, FakeEmbedder


@pytest.fixture
def built(articles, tmp_path, fake_embedder) -> Path:
    index = tmp_path / "index"
    qa.build_index(articles, index, embedder=fake_embedder)
    return index


# -- 2. an empty corpus ---------------------------------------------------------------------------

def test_an_empty_folder_builds_an_empty_index_that_refuses(tmp_path, fake_embedder):
    empty = tmp_path / "empty"
    empty.mkdir()
    summary = qa.build_index(empty, tmp_path / "index", embedder=fake_embedder)
    assert (summary.files, summary.chunks, summary.skipped) == (0, 0, {})
    engine = Engine.load(tmp_path / "index", embedder=fake_embedder)
    assert engine.retrieve("anything at all?") == []
    answer = engine.ask("anything at all?")
    assert (answer.found, answer.citations, answer.passages) == (False, [], [])


def test_every_file_skipped_is_an_empty_index_listing_them(tmp_path, fake_embedder):
    folder = tmp_path / "a"
    folder.mkdir()
    (folder / "blank.txt").write_text("   \n")
    (folder / "image.png").write_bytes(b"\x89PNG\x00")
    summary = qa.build_index(folder, tmp_path / "index", embedder=fake_embedder)
    assert summary.files == 0 and set(summary.skipped) == {"blank.txt", "image.png"}


def test_update_after_deleting_every_article_drops_them(articles, built, fake_embedder):
    for p in articles.iterdir():
        p.unlink()
    summary = qa.update_index(articles, built, embedder=fake_embedder)
    assert (summary.files, summary.chunks, summary.removed) == (0, 0, 2)
    assert Engine.load(built, embedder=fake_embedder).retrieve("White Helmets") == []


# -- 4, 13. a damaged CURRENT ------------------------------------------------------------------------

@pytest.mark.parametrize("content", [b"gen-19990101T000000-deadbeef\n", b"../../etc\n", b"\xff\xfe",
                                     b"gen-20200101T000000-00000000/../../other/gen-20200101T000000-00000000", b""])
def test_a_damaged_current_is_one_line_and_a_rebuild_repairs_it(articles, built, fake_embedder, content):
    (built / "CURRENT").write_bytes(content)
    with pytest.raises(IndexCorruptError, match=r"^index .* is damaged \(CURRENT names .*\): rebuild it with `qa index build"):
        Engine.load(built, embedder=fake_embedder)
    qa.build_index(articles, built, embedder=fake_embedder)
    assert Engine.load(built, embedder=fake_embedder).ask("Who founded the White Helmets?").question
    gens = [p.name for p in built.iterdir() if p.name.startswith(("gen-", ".tmp-"))]
    assert gens == [store.current(built).name]  # no orphan generation, no .tmp-CURRENT


def test_current_deleted_then_build_repairs_it(articles, built, fake_embedder):
    (built / "CURRENT").unlink()
    with pytest.raises(IndexMissingError, match="build one"):
        Engine.load(built, embedder=fake_embedder)
    qa.build_index(articles, built, embedder=fake_embedder)  # once refused: "holds other files"
    assert store.is_index(built)


def test_current_may_not_name_a_folder_elsewhere(built, tmp_path, fake_embedder, articles):
    other = tmp_path / "other"
    qa.build_index(articles, other, embedder=fake_embedder)
    target = store.current(other)
    (built / "CURRENT").write_text(f"{store.current(built).name}/../../other/{target.name}\n")
    with pytest.raises(IndexCorruptError):
        store.current(built)
    link = built / "gen-20200101T000000-0000abcd"
    link.symlink_to(target)
    (built / "CURRENT").write_text(link.name + "\n")
    with pytest.raises(IndexCorruptError):
        store.current(built)


# -- 5. damaged files give one line, and a running engine keeps its generation -----------------------

DAMAGE = {
    "empty vectors": lambda g: (g / "vectors.npy").write_bytes(b""),
    "manifest []": lambda g: (g / "manifest.json").write_text("[]"),
    "manifest settings []": lambda g: (g / "manifest.json").write_text(json.dumps({"settings": [], "counts": {}, "files": {}})),
    "chunk out of range": lambda g: (g / "chunks.jsonl").write_text(
        (g / "chunks.jsonl").read_text().replace('"end": ', '"end": 9999999', 1)),
    "vectors of another shape": lambda g: np.save(g / "vectors.npy", np.zeros((3, 384), np.float32)),
    "faiss truncated": lambda g: (g / "dense.faiss").write_bytes((g / "dense.faiss").read_bytes()[:50]),
    "bm25 gone": lambda g: [p.unlink() for p in (g / "bm25").iterdir()],
    "documents not json": lambda g: (g / "documents.jsonl").write_text("{nope\n"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damage_is_one_line_naming_the_fix(built, fake_embedder, damage):
    DAMAGE[damage](store.current(built))
    with pytest.raises(QAError) as e:
        Engine.load(built, embedder=fake_embedder)
    assert "rebuild it" in str(e.value) and "\n" not in str(e.value)


def test_a_running_engine_keeps_the_old_generation_and_does_not_retry_a_broken_one(articles, built, fake_embedder, monkeypatch):
    engine = Engine.load(built, embedder=fake_embedder)
    old = engine.snapshot.name
    (articles / "new.txt").write_text("A new article about lighthouses. Keepers left.", encoding="utf-8")
    qa.update_index(articles, built, embedder=fake_embedder)
    (store.current(built) / "vectors.npy").write_bytes(b"")
    loads = []
    real = columns.read
    monkeypatch.setattr(columns, "read", lambda folder: loads.append(1) or real(folder))
    for _ in range(3):
        answer = engine.ask("Who founded the White Helmets?")
        assert answer.generation == old
    assert len(loads) == 1  # tried once, remembered as broken


# -- 9. filesystem errors ------------------------------------------------------------------------------

def test_disk_full_mid_write_is_one_line_and_leaves_nothing_behind(articles, built, fake_embedder, monkeypatch):
    live = store.current(built)
    (articles / "new.txt").write_text("Something new. Two sentences.", encoding="utf-8")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "save", full)
    with pytest.raises(QAError, match="No space left on device \\(the disk is full: free some space\\)"):
        qa.update_index(articles, built, embedder=fake_embedder)
    assert store.current(built) == live
    assert sorted(p.name for p in built.iterdir() if p.name.startswith(("gen-", ".tmp-"))) == [live.name]


def test_update_with_nothing_changed_writes_nothing(articles, built, fake_embedder, monkeypatch):
    """On a read-only disk an update that has nothing to do succeeds: it takes no lock and writes nothing."""
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "open", read_only)
    monkeypatch.setattr(Path, "mkdir", read_only)
    summary = qa.update_index(articles, built, embedder=fake_embedder)
    assert summary.embedded == 0 and summary.unchanged == 2


def test_a_read_only_index_folder_is_one_line(articles, built, fake_embedder, monkeypatch):
    (articles / "new.txt").write_text("Something new. Two sentences.", encoding="utf-8")
    real_open = os.open

    def read_only(path, flags, *args):
        if str(path).endswith(".lock"):
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(QAError, match=r"cannot write the index in .*: Read-only file system \(a read-only folder"):
        qa.update_index(articles, built, embedder=fake_embedder)


def test_an_index_folder_that_cannot_exist_is_one_line(articles, fake_embedder):
    with pytest.raises(QAError, match="cannot write the index in /proc/qa-index"):
        qa.build_index(articles, "/proc/qa-index", embedder=fake_embedder)


# -- 10. any input through the API ------------------------------------------------------------------

@pytest.mark.parametrize("question,history,message", [
    (None, [], "the question must be text"),
    (5, [], "the question must be text"),
    ("Who \udcff?", 7, "history must be a list"),
    ("Who?", "Who founded it?", "history must be a list"),
])
def test_questions_of_any_type_get_a_clear_error(built, fake_embedder, question, history, message):
    engine = Engine.load(built, embedder=fake_embedder)
    with pytest.raises(QAError, match=message):
        engine.ask(question, history=history)


def test_a_lone_surrogate_in_a_question_is_answered(built, fake_embedder):
    answer = Engine.load(built, embedder=fake_embedder).ask("Who \udcff founded the White Helmets?")
    assert answer.question == "Who \ufffd founded the White Helmets?"


# -- 11. a sidecar edited while the article is unchanged ---------------------------------------------

def test_update_notices_an_edited_sidecar(articles, built, fake_embedder):
    (articles / (SEED_A + ".meta.json")).write_text(json.dumps({"source": "RT", "title": "A title"}), encoding="utf-8")
    again = FakeEmbedder()
    qa.update_index(articles, built, embedder=again)
    assert again.calls == []  # the text did not change: nothing is embedded
    info = qa.index_info(built)
    assert {f.path: f.source for f in info.files}[SEED_A] == "RT"
    answer = Engine.load(built, embedder=fake_embedder).ask("Who founded the White Helmets?", sources=["rt"])
    assert all(c.source == "RT" for c in answer.citations)


# -- 12. symlinks planted in the index folder -------------------------------------------------------

@pytest.mark.parametrize("name", [".lock", ".tmp-CURRENT"])
def test_a_build_never_writes_through_a_planted_symlink(articles, built, tmp_path, fake_embedder, name):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (built / name).unlink(missing_ok=True)
    (built / name).symlink_to(victim)
    try:
        qa.build_index(articles, built, embedder=fake_embedder)
    except QAError as e:
        assert "symlink" in str(e)
    assert victim.read_text() == "precious"


# -- 17. the page shows quotes from the generation that answered -------------------------------------

def test_documents_are_served_only_from_the_generation_that_answered(articles, built, fake_embedder):
    engine = Engine.load(built, embedder=fake_embedder)
    answer = engine.ask("Which governorate are the White Helmets being evacuated from?")
    c = answer.citations[0] if answer.citations else answer.passages[0]
    assert engine.document(c.path, answer.generation) is not None
    path = articles / SEED_B
    path.write_text("Completely different text now. " + path.read_text(encoding="utf-8"), encoding="utf-8")
    qa.update_index(articles, built, embedder=fake_embedder)
    assert engine.document(c.path, answer.generation) is None  # a newer generation: not the text that was quoted


# -- 18. one model, many threads -------------------------------------------------------------------

@pytest.mark.slow
def test_concurrent_encodes_on_the_shared_model(real_embedder):
    texts = [f"Sentence number {i} about lighthouses and keepers." for i in range(64)]
    expected = real_embedder.encode(texts)
    errors, results = [], []

    def work():
        try:
            results.append(real_embedder.encode(texts))
        except Exception as e:  # noqa: BLE001 - every failure is collected
            errors.append(repr(e))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == 8
    assert all(np.allclose(r, expected, atol=1e-5) for r in results)


# -- fuzz: any question, any history, any damage -------------------------------------------------------

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

_ANY = st.one_of(st.none(), st.integers(), st.floats(allow_nan=True), st.binary(max_size=20),
                 st.lists(st.text(max_size=20), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))


@pytest.fixture(scope="module")
def fuzz_engine(tmp_path_factory):
    from conftest import ARTICLES

    folder = tmp_path_factory.mktemp("fuzz")
    embedder = FakeEmbedder()
    qa.build_index(ARTICLES, folder / "index", embedder=embedder)
    return Engine.load(folder / "index", embedder=embedder)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=st.one_of(st.text(max_size=300), _ANY), history=st.one_of(st.lists(st.one_of(st.text(max_size=80), _ANY),
                                                                                     max_size=4), _ANY),
       sources=st.one_of(st.none(), st.lists(st.text(max_size=10), max_size=2), _ANY),
       since=st.one_of(st.none(), st.dates().map(str), st.text(max_size=12), _ANY))
def test_any_question_gets_an_answer_with_exact_citations_or_one_line(fuzz_engine, question, history, sources, since):
    from conftest import ARTICLES, read_text

    try:
        answer = fuzz_engine.ask(question, history=history, sources=sources, since=since)
    except QAError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert answer.found == bool(answer.citations)
    for c in answer.citations:
        text = read_text(ARTICLES / c.path)
        assert text[c.start:c.end] == c.quote
        if c.answer_start is not None:
            assert c.start <= c.answer_start < c.answer_end <= c.end
    for p in answer.passages:
        assert read_text(ARTICLES / p.path)[p.start:p.end] == p.text


def _files(gen: Path) -> list[Path]:
    return sorted(p for p in gen.rglob("*") if p.is_file())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), how=st.sampled_from(["truncate", "flip", "delete", "garbage"]))
def test_any_damage_to_a_generation_is_an_answer_or_one_line(tmp_path_factory, data, how):
    from conftest import ARTICLES

    folder = tmp_path_factory.mktemp("damage")
    embedder = FakeEmbedder()
    qa.build_index(ARTICLES, folder / "index", embedder=embedder)
    gen = store.current(folder / "index")
    # Draws must not depend on the build: a manifest's timings change its length between runs, and
    # hypothesis replays a failing case by its draws. So draw a position and scale it to the file.
    files = _files(gen)
    target = files[data.draw(st.integers(0, 1 << 16)) % len(files)]
    raw = target.read_bytes()
    if how == "truncate":
        target.write_bytes(raw[: data.draw(st.integers(0, 1 << 30)) % max(1, len(raw))])
    elif how == "flip" and raw:
        i = data.draw(st.integers(0, 1 << 30)) % len(raw)
        target.write_bytes(raw[:i] + bytes([raw[i] ^ (1 << data.draw(st.integers(0, 7)))]) + raw[i + 1:])
    elif how == "delete":
        target.unlink()
    else:
        target.write_bytes(data.draw(st.binary(max_size=200)))
    try:
        engine = Engine.load(folder / "index", embedder=embedder)
        answer = engine.ask("Which governorate are the White Helmets being evacuated from?")
    except QAError as e:
        assert str(e) and "\n" not in str(e)
        return
    # Damage that leaves the files readable (a flipped bit in a float, say) may still answer:
    # then every citation must be exact against the stored text.
    for c in answer.citations:
        assert engine.document(c.path).text[c.start:c.end] == c.quote


def test_a_damaged_bm25_type_is_refused_at_load_not_at_the_first_question(tmp_path):
    """A flipped bit in params.index.json ("float32" → "gloat32") once loaded and failed at query time."""
    from conftest import ARTICLES

    embedder = FakeEmbedder()
    qa.build_index(ARTICLES, tmp_path / "index", embedder=embedder)
    params = store.current(tmp_path / "index") / "bm25" / "params.index.json"
    params.write_text(params.read_text().replace('"float32"', '"gloat32"'))
    with pytest.raises(IndexCorruptError) as e:
        Engine.load(tmp_path / "index", embedder=embedder)
    assert "\n" not in str(e.value)


def test_bm25_postings_that_name_no_chunk_are_refused_at_load_and_when_read_mapped(tmp_path):
    """A flipped bit in indices.csc.index.npy once named chunk 256 of 13 and crashed the first question."""
    from conftest import ARTICLES

    from qa.lexical import Lexical

    embedder = FakeEmbedder()
    qa.build_index(ARTICLES, tmp_path / "index", embedder=embedder)
    folder = store.current(tmp_path / "index") / "bm25"
    path = folder / "indices.csc.index.npy"
    indices = np.load(path)
    indices[0] = 256 + int(indices.max())
    np.save(path, indices)
    with pytest.raises(IndexCorruptError) as e:
        Engine.load(tmp_path / "index", embedder=embedder)
    assert "\n" not in str(e.value)
    # Memory-mapped (a large collection), the postings are checked as a question reads them.
    lexical = Lexical.load(folder, mmap=True)
    vocab = lexical.bm25.vocab_dict
    first = next(t for t, i in vocab.items() if i == 0)
    with pytest.raises(IndexCorruptError) as e:
        lexical.matches([first])
    assert "\n" not in str(e.value)
