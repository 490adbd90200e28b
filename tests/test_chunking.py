"""Chunks: exact offsets (property-tested), sizes in tiktoken tokens, the model's WordPiece limit, stable ids."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

from qa import boilerplate
from qa.chunking import chunk_document
from qa.documents import Document, text_sha256
from qa.tokens import token_starts, wordpiece_counts

from conftest import ARTICLES, SEED_A, SEED_B, read_text

PIECES = ["\u00a0", "“", "”", "‘", "’", "—", "😀", "👋🏽", "中文字", "日本語の文。", "<|endoftext|>", "©", "\n", "\n\n",
          "\r\n", " ", ". ", "? ", "Word", "another", "Sentence.", "e.g.", "U.S.", "1,234", "Ünïcödé", "\t"]
texts = st.lists(st.one_of(st.sampled_from(PIECES), st.text(min_size=1, max_size=12)), min_size=0, max_size=300).map("".join)


def _doc(text: str, path: str = "a.txt") -> Document:
    return Document(path=path, text=text, sha256=text_sha256(text), boilerplate=boilerplate.spans(text))


def _chunks(text: str, size: int = 40, overlap: int = 8):
    return chunk_document(_doc(text), size=size, overlap=overlap, max_model_tokens=256)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts, st.integers(min_value=4, max_value=64))
def test_offsets_are_exact_for_any_text(text, size):
    text = text.encode("utf-8", "replace").decode("utf-8", "replace")  # real files never hold lone surrogates
    doc = _doc(text)
    chunks = chunk_document(doc, size=size, overlap=size // 4, max_model_tokens=256)
    for c in chunks:
        assert 0 <= c.start < c.end <= len(text)
        assert text[c.start:c.end] == c.text
        assert c.text == c.text.strip()
        for s, e in c.sentences:
            assert c.start <= s < e <= c.end
        for s, e in doc.boilerplate:  # boilerplate never inside a chunk
            assert e <= c.start or s >= c.end
    covered = {i for c in chunks for i in range(c.start, c.end)}
    for s, e in boilerplate.content_regions(text, doc.boilerplate):
        assert all(i in covered for i in range(s, e) if not text[i].isspace())  # no content lost


def _overlapping(starts, s: int, e: int) -> int:
    return int(np.searchsorted(starts, e) - max(0, np.searchsorted(starts, s, side="right") - 1))


def test_token_starts_are_valid_character_offsets():
    text = "héllo 👋🏽 中文 <|endoftext|>\u00a0x"
    starts = token_starts(text)
    assert starts[0] == 0
    assert list(starts) == sorted(starts)
    assert all(0 <= s < len(text) for s in starts)


def test_sizes_in_tiktoken_tokens_and_overlap():
    text = " ".join(f"Sentence number {i} is here." for i in range(60))
    chunks = _chunks(text, size=40, overlap=8)
    starts = token_starts(text)
    counts = [_overlapping(starts, c.start, c.end) for c in chunks]
    assert len(chunks) > 5
    assert max(counts) <= 40
    # Consecutive chunks share the sentences of the overlap, and every chunk ends at a sentence end.
    assert all(b.start < a.end for a, b in zip(chunks, chunks[1:]))
    assert all(c.text.endswith(".") for c in chunks)


def test_a_sentence_longer_than_a_chunk_is_cut_into_token_windows():
    text = "word " * 300
    chunks = _chunks(text.strip(), size=50, overlap=10)
    starts = token_starts(text)
    assert len(chunks) >= 6
    assert all(_overlapping(starts, c.start, c.end) <= 50 for c in chunks)


def test_seed_chunks_fit_the_model_and_avoid_boilerplate():
    for name in (SEED_A, SEED_B):
        text = read_text(ARTICLES / name)
        doc = _doc(text, name)
        chunks = chunk_document(doc, size=200, overlap=40, max_model_tokens=256)
        assert max(wordpiece_counts([c.text for c in chunks])) <= 256
        assert all("READ MORE" not in c.text and "Listen Live" not in c.text for c in chunks)
        assert all(text[c.start:c.end] == c.text for c in chunks)


def test_model_limit_splits_chunks_the_model_would_truncate():
    # Rare letter runs cost WordPiece more tokens than cl100k: 200 tiktoken tokens can exceed 256 WordPiece.
    text = " ".join(["zxqvzxqvzxqv"] * 150)  # 2 WordPiece tokens for every cl100k token
    unchecked = chunk_document(_doc(text), size=200, overlap=0, max_model_tokens=10**6)
    assert max(wordpiece_counts([c.text for c in unchecked])) > 256
    chunks = chunk_document(_doc(text), size=200, overlap=0, max_model_tokens=256)
    assert max(wordpiece_counts([c.text for c in chunks])) <= 256
    assert len(chunks) > len(unchecked)
    assert all(text[c.start:c.end] == c.text for c in chunks)


def test_ids_come_from_content():
    text = read_text(ARTICLES / SEED_B)
    first = _chunks(text, size=200, overlap=40)
    edited = text.replace("Tags:", "Tags:\n    extra, tags, here, too")  # a change past the body
    again = chunk_document(_doc(edited), size=200, overlap=40, max_model_tokens=256)
    assert [c.id for c in first] == [c.id for c in again]
    assert len({c.id for c in first}) == len(first)
    changed = text.replace("Quneitra", "Daraa")
    ids = {c.id for c in chunk_document(_doc(changed), size=200, overlap=40, max_model_tokens=256)}
    assert 0 < len(ids & {c.id for c in first}) < len(first)


# --- issue 10, item 14: bounded memory; tiktoken in pieces -----------------------------------------

import subprocess
import sys
import textwrap

import pytest

from qa import tokens


def test_token_starts_in_pieces_equal_the_whole_encoding(monkeypatch):
    text = read_text(ARTICLES / SEED_A) + read_text(ARTICLES / SEED_B) + "héllo 👋🏽 中文 <|endoftext|> Ünï ² x\n"
    enc = tokens.encoding()
    ids = enc.encode_ordinary(text)
    byte_starts = np.concatenate(([0], np.cumsum([len(b) for b in enc.decode_tokens_bytes(ids)])[:-1]))
    raw = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    expected = (np.cumsum((raw & 0xC0) != 0x80) - 1)[byte_starts]
    monkeypatch.setattr(tokens, "_PIECE_CHARS", 50)  # hundreds of pieces
    assert np.array_equal(token_starts(text), expected)


def test_a_long_run_of_spaces_does_not_crash_tiktoken():
    # tiktoken's regex overflowed its stack (a PanicException, not an Exception) on ~1M spaces.
    text = "a" + " " * 1_000_000 + "b"
    starts = token_starts(text)
    assert starts[0] == 0 and starts[-1] == len(text) - 2 and bool(np.all(np.diff(starts) > 0))  # " b" last


_PEAK = textwrap.dedent("""
    import resource, sys, tempfile, pathlib
    from qa import documents
    from qa.chunking import chunk_document
    d = pathlib.Path(tempfile.mkdtemp())
    (d / sys.argv[1]).write_bytes(eval(sys.argv[2]))
    scan = documents.scan(d, max_bytes=20 * 2**20)
    assert scan.skipped == {}, scan.skipped
    for doc in scan.documents:
        chunks = chunk_document(doc, size=200, overlap=40, max_model_tokens=256,
                                count_model_tokens=lambda ts: [len(t) // 4 + 2 for t in ts])
        assert all(doc.text[c.start:c.end] == c.text for c in chunks)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
""")


@pytest.mark.slow
@pytest.mark.parametrize("name, content", [
    ("tags.html", "b'<html><body>' + b'<b>a</b>' * 2_400_000 + b'</body></html>'"),  # 3.6 GB before
    ("short.txt", "b'Ab. ' * 4_900_000"),  # 5 million sentences: did not finish in 5 minutes before
])
def test_a_20mb_article_reads_and_chunks_in_bounded_memory(name, content):
    out = subprocess.run([sys.executable, "-c", _PEAK, name, content], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert int(out.stdout.split()[-1]) <= 1536  # MB of peak RSS
