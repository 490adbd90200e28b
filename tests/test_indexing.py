"""Build, update, persistence and atomicity of the on-disk index (fake embedder: fast and deterministic)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import qa
from qa import store
from qa.engine import Engine
from qa.errors import IndexBusyError, IndexMismatchError, IndexMissingError, QAError
from qa.settings import Settings

from conftest import SEED_A, SEED_B, FakeEmbedder


def test_build_writes_plain_files_and_a_manifest(articles, tmp_path, fake_embedder):
    index = tmp_path / "index"
    summary = qa.build_index(articles, index, embedder=fake_embedder)
    gen = store.current(index)
    assert sorted(p.name for p in gen.iterdir()) == ["bm25", "chunks.jsonl", "dense.faiss", "documents.jsonl", "manifest.json", "vectors.npy"]
    m = json.loads((gen / "manifest.json").read_text())
    assert m["settings"] == Settings().index_shape()
    assert m["weights_sha256"] == "fake-weights" and m["dimension"] == 384
    assert sorted(m["files"]) == [SEED_A, SEED_B]
    assert m["counts"] == {"files": 2, "chunks": summary.chunks, "skipped": 0}
    assert summary.files == 2 and summary.embedded == len(set(fake_embedder.calls))
    vectors = np.load(gen / "vectors.npy", allow_pickle=False)  # no pickle anywhere
    assert vectors.dtype == np.float32 and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_round_trip_keeps_offsets_exact(articles, tmp_path, fake_embedder):
    index = tmp_path / "index"
    qa.build_index(articles, index, embedder=fake_embedder)
    engine = Engine.load(index, embedder=fake_embedder)
    for c in engine.snapshot.chunks:
        text = (articles / c.path).read_text(encoding="utf-8-sig")
        assert text[c.start:c.end] == c.text
    assert len(engine.snapshot.sentence_spans) == engine.snapshot.vectors.shape[0]


def test_update_with_nothing_changed_embeds_nothing_and_keeps_the_generation(articles, tmp_path, fake_embedder):
    index = tmp_path / "index"
    qa.build_index(articles, index, embedder=fake_embedder)
    before = store.current(index)
    again = FakeEmbedder()
    summary = qa.update_index(articles, index, embedder=again)
    assert again.calls == [] and summary.embedded == 0 and summary.unchanged == 2
    assert store.current(index) == before


def test_update_embeds_only_the_edited_file_and_drops_deleted_ones(articles, tmp_path, fake_embedder):
    index = tmp_path / "index"
    qa.build_index(articles, index, embedder=fake_embedder)
    path = articles / SEED_B
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Quneitra governorate", "Quneitra province"), encoding="utf-8")
    again = FakeEmbedder()
    summary = qa.update_index(articles, index, embedder=again)
    assert again.calls, "the edited sentence is embedded"
    assert all("Quneitra province" in t for t in again.calls)  # only the changed sentence, nothing else
    assert summary.unchanged == 1
    engine = Engine.load(index, embedder=fake_embedder)
    assert any("Quneitra province" in c.text for c in engine.snapshot.chunks)

    (articles / SEED_A).unlink()
    summary = qa.update_index(articles, index, embedder=FakeEmbedder())
    assert summary.removed == 1 and summary.files == 1
    assert {c.path for c in Engine.load(index, embedder=fake_embedder).snapshot.chunks} == {SEED_B}


def test_vectors_match_a_full_rebuild_after_update(articles, tmp_path, fake_embedder):
    a, b = tmp_path / "a", tmp_path / "b"
    qa.build_index(articles, a, embedder=fake_embedder)
    (articles / "new.txt").write_text("A brand new article. It mentions Quneitra once.", encoding="utf-8")
    qa.update_index(articles, a, embedder=fake_embedder)
    qa.build_index(articles, b, embedder=fake_embedder)
    ga, gb = store.read(a), store.read(b)
    assert [c.id for c in ga.chunks] == [c.id for c in gb.chunks]
    assert np.array_equal(ga.vectors, gb.vectors)


def test_a_crash_mid_write_leaves_the_old_index_live(articles, tmp_path, fake_embedder, monkeypatch):
    index = tmp_path / "index"
    qa.build_index(articles, index, embedder=fake_embedder)
    live = store.current(index)
    (articles / "new.txt").write_text("Another article entirely. With two sentences.", encoding="utf-8")

    def boom(self, folder):
        raise OSError("disk full")

    monkeypatch.setattr("qa.lexical.Lexical.save", boom)
    with pytest.raises(QAError, match=f"cannot write the index in {index}: disk full"):
        qa.build_index(articles, index, embedder=fake_embedder)
    assert store.current(index) == live
    assert [p.name for p in index.iterdir() if p.name.startswith((".tmp-", "gen-")) and p != live] == []
    assert {c.path for c in Engine.load(index, embedder=fake_embedder).snapshot.chunks} == {SEED_A, SEED_B}
    monkeypatch.undo()
    qa.build_index(articles, index, embedder=fake_embedder)  # the next build clears the leftovers
    assert [p.name for p in index.iterdir() if p.name.startswith(".tmp-")] == []


def test_one_writer_at_a_time(articles, tmp_path, fake_embedder):
    index = tmp_path / "index"
    qa.build_index(articles, index, embedder=fake_embedder)
    with store.writer_lock(index):
        with pytest.raises(IndexBusyError, match="another build or update is writing"):
            qa.build_index(articles, index, embedder=fake_embedder)


def test_mismatched_settings_are_refused_with_the_fix(articles, tmp_path, fake_embedder):
    index = tmp_path / "index"
    qa.build_index(articles, index, settings=Settings(chunk_tokens=100), embedder=fake_embedder)
    with pytest.raises(IndexMismatchError) as e:
        Engine.load(index, embedder=fake_embedder)
    message = str(e.value)
    assert "chunk_tokens 100 (now 200)" in message and "qa index build" in message and "\n" not in message


def test_other_weights_are_refused(articles, tmp_path, fake_embedder):
    index = tmp_path / "index"
    qa.build_index(articles, index, embedder=fake_embedder)
    other = FakeEmbedder()
    other.weights = "other-weights"
    with pytest.raises(IndexMismatchError, match="other model weights"):
        Engine.load(index, embedder=other)


def test_missing_index_and_foreign_folder(tmp_path, articles, fake_embedder):
    with pytest.raises(IndexMissingError, match="qa index build"):
        Engine.load(tmp_path / "none", embedder=fake_embedder)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("keep me")
    with pytest.raises(QAError, match="not an index"):
        qa.build_index(articles, foreign, embedder=fake_embedder)
    assert (foreign / "precious.txt").read_text() == "keep me"
