"""Fuzzing the reader (issue 10): whatever a folder holds, ``scan`` + ``chunk_document`` never raise.

Every generated file ends up either as a document whose chunks, sentences and boilerplate are valid
half-open spans of its text (``text[c.start:c.end] == c.text``), or in ``skipped`` with a one-line
reason. Names, bytes, encodings, markup and sidecars are random. The real tiktoken is used; the
model's WordPiece count is faked (it only decides where an over-long chunk is halved).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings, strategies as st

from qa import boilerplate, documents, html, metadata, sentences
from qa.chunking import chunk_document

ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp1252", "latin-1", "shift_jis",
             "cp1251", "koi8-r", "gb2312", "iso-8859-7"]
SUFFIXES = [".txt", ".md", ".html", ".htm", ".TXT", ".markdown", ".png", ""]
WORDS = ["The", "minister", "said", "Zürich", "à", "“quoted”", "—", "e.g.", "U.S.", "Dr.", "1,234", "中文", "😀", "\u00a0",
         "<|endoftext|>", "©", "Listen Live", "READ MORE:", "13:24 GMT +320 July 2018", "# Heading", "---", "\n", "\n\n",
         "\r\n", ". ", "!?", "…", "'", '"', " " * 50, "." * 50, "a, b, c, d", "\t", "\x0b", "\u2028", "\ufeff"]
TAGS = ["p", "div", "b", "article", "main", "body", "nav", "script", "style", "h1", "title", "time", "pre", "br",
        "li", "template", "header", "table", "svg", "a", "meta", "link"]

FAKE_WORDPIECE = lambda texts: [len(t) // 3 + 2 for t in texts]  # noqa: E731 (the model's count, faked)

prose = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=8)), max_size=60).map(" ".join)
markup = st.lists(
    st.one_of(
        st.sampled_from(TAGS).map(lambda t: f"<{t}>"),
        st.sampled_from(TAGS).map(lambda t: f"</{t}>"),
        st.sampled_from(TAGS).map(lambda t: f"<{t} class='x' data-y=\"&amp;\"/>"),
        st.integers(1, 3000).map(lambda n: "<div>" * n),  # deep, never closed
        st.sampled_from(['<meta property="og:title" content="T">', '<meta name="date" content="2020-02-30">',
                         '<link rel="canonical" href="https://x/">', "<!--", "-->", "<!DOCTYPE html>", "<![CDATA[x",
                         "&#xd800;", "&#0;", "&#x110000;", "&nbsp", "&", "<", ">", "</", "<a href='", "<?pi ?>"]),
        prose,
    ),
    max_size=30,
).map("".join)
sidecar = st.one_of(
    st.dictionaries(st.sampled_from(["title", "source", "date", "url", "x"]),
                    st.one_of(st.text(max_size=20), st.integers(), st.none(), st.lists(st.integers(), max_size=3),
                              st.sampled_from(["5 May 2020", "2020-13-45", "\ud800"])), max_size=5)
    .map(lambda d: json.dumps(d).encode()),
    st.integers(1, 100_000).map(lambda n: b"[" * n),
    st.binary(max_size=200),
    st.sampled_from([b"", b"null", b"[]", b'"s"', b"{", b'{"title": "\\ud800"}', b"\xef\xbb\xbf{}", b" " * 70_000]),
)


@st.composite
def contents(draw) -> bytes:
    kind = draw(st.sampled_from(["text", "markup", "bytes", "markdown"]))
    if kind == "bytes":
        return draw(st.binary(max_size=400))
    text = draw(markup if kind == "markup" else prose)
    if kind == "markdown":
        text = draw(st.sampled_from(["", "---\ntitle: T\ndate: 2020-01-02\n---\n", "---\nbroken\n"])) + text
    return text.encode(draw(st.sampled_from(ENCODINGS)), "replace")


names = st.one_of(
    st.text(alphabet=st.characters(exclude_characters="/\x00", exclude_categories=["Cs"]), min_size=1, max_size=30),
    st.sampled_from(["-rf", "--help", " leading space", "trailing space ", "a b c", "\u202eevil", "e\u0301", "😀",
                     "CON", "..x", "x" * 200, "é" * 100]),
).map(lambda s: os.fsencode(s))
bad_names = st.binary(min_size=1, max_size=30).filter(lambda b: b"/" not in b and b"\x00" not in b and b not in (b".", b".."))


@st.composite
def folders(draw) -> list[tuple[bytes, bytes, str]]:
    """(name, content, kind): kind "file", "sidecar" (for the file before it) or "link" (content is its target)."""
    out = []
    for _ in range(draw(st.integers(1, 4))):
        stem = draw(st.one_of(names, names, bad_names))
        name = stem + os.fsencode(draw(st.sampled_from(SUFFIXES)))
        if len(name) > 250:  # the filesystem's limit is 255 bytes a name
            name = name[:240] + b".txt"
        out.append((name, draw(contents()), "file"))
        if draw(st.booleans()):
            out.append((name + b".meta.json", draw(sidecar), "sidecar"))
    if draw(st.booleans()):
        out.append((b"link.txt", draw(st.sampled_from([b"../outside.txt", b"missing.txt", out[0][0]])), "link"))
    return out


def _check_span(text: str, s: int, e: int) -> None:
    assert 0 <= s < e <= len(text), (s, e, len(text))


def _check(scan: documents.FolderScan, written: set[str]) -> None:
    json.dumps(scan.skipped, ensure_ascii=False).encode("utf-8")  # JSON-safe, no lone surrogates
    for key, reason in scan.skipped.items():
        assert reason and "\n" not in reason, (key, reason)
    for doc in scan.documents:
        text = doc.text
        for s in (doc.path, text, doc.title, doc.source, doc.date, doc.url, doc.encoding):
            if s is not None:
                s.encode("utf-8")
        assert doc.sha256 == documents.text_sha256(text)
        last = -1
        for s, e in doc.boilerplate:
            _check_span(text, s, e)
            assert s > last
            last = e
        for s, e in sentences.split(text):
            _check_span(text, s, e)
        for c in chunk_document(doc, size=40, overlap=8, max_model_tokens=64, count_model_tokens=FAKE_WORDPIECE):
            _check_span(text, c.start, c.end)
            assert text[c.start:c.end] == c.text
            for s, e in c.sentences:
                assert c.start <= s < e <= c.end
    listed = {d.path for d in scan.documents} | set(scan.skipped)
    assert written <= listed, written - listed


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(folders())
def test_any_folder_is_read_or_skipped_with_a_reason(files):
    with tempfile.TemporaryDirectory() as tmp:
        outside = Path(tmp) / "outside.txt"
        outside.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
        root = os.fsencode(Path(tmp) / "articles")
        os.mkdir(root)
        written = set()
        for name, data, kind in files:
            path = root + b"/" + name
            if os.path.lexists(path):
                continue
            if kind == "link":
                os.symlink(data, path)
            else:
                with open(path, "wb") as f:
                    f.write(data)
            if kind != "sidecar" and not name.startswith(b".") and not name.endswith(b".meta.json"):
                written.add(documents.printable(os.fsdecode(name)))
        scan = documents.scan(os.fsdecode(root), max_bytes=100_000)
        _check(scan, written)
        assert all("root:x" not in d.text for d in scan.documents)


@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(st.binary(max_size=300), prose.flatmap(
    lambda t: st.sampled_from(ENCODINGS).map(lambda enc: t.encode(enc, "replace")))))
def test_decode_gives_text_or_a_reason(data):
    try:
        text, encoding = documents.decode(data)
    except ValueError as e:
        assert str(e)
        return
    text.encode("utf-8")
    assert "\x00" not in text and encoding


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(markup)
def test_any_markup_gives_text_and_metadata(page):
    try:
        text, found = html.extract(page)
    except ValueError as e:
        assert str(e)
        return
    text.encode("utf-8")
    assert text.endswith("\n")
    for v in found.values():
        assert v is None or isinstance(v, str)


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(prose, st.booleans())
def test_metadata_and_boilerplate_of_any_text(text, markdown):
    assume("\ud800" not in text)
    meta = metadata.infer(text, markdown=markdown)
    assert set(meta) == {"title", "source", "date", "url"}
    for s, e in boilerplate.spans(text, markdown=markdown):
        _check_span(text, s, e)
