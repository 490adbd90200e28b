"""qa.columns: the served chunk table and articles are exactly what the generation's files say."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import qa
from qa import columns, store


@pytest.fixture
def index(articles: Path, tmp_path: Path, fake_embedder) -> Path:
    # A third article with an outlet and a date, and a name outside ASCII.
    (articles / "sub").mkdir()
    (articles / "sub" / "café.txt").write_text(
        "---\ntitle: Harbour\nsource: Delta Wire\ndate: 2021-03-04\n---\n"
        "The harbour reopened on Monday. Ferries ran “twice a day”\u00a0again. Fishermen were pleased.\n", encoding="utf-8")
    folder = tmp_path / "index"
    qa.build_index(articles, folder, embedder=fake_embedder)
    return folder


def test_columns_give_back_every_chunk_and_article_exactly(index: Path):
    gen = store.read(index)
    tables = columns.read(store.current(index))
    assert len(tables.chunks) == len(gen.chunks) > 10
    assert [tables.chunks[i] for i in range(len(gen.chunks))] == gen.chunks
    assert list(tables.chunks) == gen.chunks and tables.chunks[-1] == gen.chunks[-1]
    assert tables.chunks[2:5] == gen.chunks[2:5]
    assert dict(tables.articles) == gen.documents and len(tables.articles) == len(gen.documents)
    assert "sub/café.txt" in tables.articles and "nope.txt" not in tables.articles
    # Sentence i of the table is row i of the vectors: chunk order, each chunk's spans in order.
    flat = [sp for c in gen.chunks for sp in c.sentences]
    assert list(tables.sentences) == flat and len(tables.sentences) == len(gen.vectors)
    for i, c in enumerate(gen.chunks):
        rows = range(tables.chunks.first_sentence[i], tables.chunks.first_sentence[i + 1])
        assert [tables.sentences[r] for r in rows] == list(c.sentences)
        assert tables.chunks.path(i) == c.path
    with pytest.raises(IndexError):
        tables.chunks[len(gen.chunks)]


def test_offsets_are_python_ints_and_quote_the_article(index: Path):
    tables = columns.read(store.current(index))
    for i in range(len(tables.chunks)):
        c = tables.chunks[i]
        text = tables.articles[c.path].text
        assert type(c.start) is int and type(c.end) is int and c.text == text[c.start:c.end]
        for s, e in c.sentences:
            assert type(s) is int and type(e) is int and c.start <= s < e <= c.end
    s, e = tables.sentences[0]
    assert type(s) is int and type(e) is int and json.dumps([s, e])


def test_outlet_and_date_columns_match_each_article(index: Path):
    a = columns.read(store.current(index)).articles
    for i, path in enumerate(a.paths):
        doc = a[path]
        assert a.source_names[a.source_code[i]] == (doc.source or "").casefold()
        assert a.date[i] == (doc.date or "")
    assert "delta wire" in a.source_names


def test_parsed_articles_are_cached_within_a_bound(index: Path, monkeypatch):
    monkeypatch.setattr(columns, "ARTICLE_CACHE", 2)
    a = columns.read(store.current(index)).articles
    docs = [a[p] for p in a.paths] * 2
    assert len(a._cache) == 2 and docs[0] == a[a.paths[0]]


@pytest.mark.parametrize("damage, expected", [
    (lambda g: (g / "chunks.jsonl").write_text((g / "chunks.jsonl").read_text().replace('"end": ', '"end": 9999999', 1)),
     "outside its article"),
    (lambda g: (g / "chunks.jsonl").write_text((g / "chunks.jsonl").read_text().replace('"sentences": [[', '"sentences": [[-5', 1)),
     "outside its article"),
    (lambda g: (g / "documents.jsonl").write_text((g / "documents.jsonl").read_text() * 2), "listed twice"),
])
def test_files_that_disagree_are_refused(index: Path, damage, expected):
    gen = store.current(index)
    damage(gen)
    with pytest.raises(ValueError, match=expected):
        columns.read(gen)


def test_a_mapping_outlives_the_pruned_generation(index: Path, articles: Path, fake_embedder):
    old = store.current(index)
    tables = columns.read(old)
    expected = store.read(index).documents
    for n in range(2):  # two builds later the old generation is pruned
        (articles / f"new{n}.txt").write_text(f"Article {n} about lighthouses. Keepers left.", encoding="utf-8")
        qa.update_index(articles, index, embedder=fake_embedder)
    assert not old.exists()
    tables.articles._cache.clear()
    assert dict(tables.articles) == expected


def test_empty_files_read_as_no_chunks(tmp_path: Path):
    (tmp_path / "documents.jsonl").write_bytes(b"")
    (tmp_path / "chunks.jsonl").write_bytes(b"")
    tables = columns.read(tmp_path)
    assert len(tables.chunks) == 0 and len(tables.articles) == 0 and len(tables.sentences) == 0
    assert np.asarray(tables.chunks.first_sentence).tolist() == [0]
