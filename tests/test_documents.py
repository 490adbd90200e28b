"""Reading an article folder: formats, encodings, metadata sidecars, and files that must be skipped."""

from __future__ import annotations

import json
import os

from qa import documents

from conftest import ARTICLES, SEED_A, SEED_B, read_text


def test_seed_folder_is_read_exactly():
    scan = documents.scan(ARTICLES, max_bytes=10**6)
    assert [d.path for d in scan.documents] == [SEED_A, SEED_B]
    assert scan.skipped == {}
    for d in scan.documents:
        assert d.text == read_text(ARTICLES / d.path)  # stored text is the file's text, byte for byte
        assert d.encoding == "utf-8"
    b = scan.documents[1]
    assert (b.title, b.source, b.date) == (
        "US Rushes to Withdraw White Helmets as Syrian Army Advances in South - Reports", "Sputnik", "2018-07-20")


def test_bad_files_are_skipped_with_reasons(tmp_path):
    root = tmp_path / "a"
    (root / "sub").mkdir(parents=True)
    (root / "good.txt").write_text("A good article. It has text.\n", encoding="utf-8")
    (root / "copy.txt").write_text("A good article. It has text.\n", encoding="utf-8")
    (root / "empty.txt").write_bytes(b"")
    (root / "blank.md").write_text(" \n\t\n", encoding="utf-8")
    (root / "binary.txt").write_bytes(b"\x89PNG\x00\x00\x01\x02")
    (root / "huge.txt").write_bytes(b"x" * 2000)
    (root / "image.png").write_bytes(b"png")
    (root / "sub" / "nested.txt").write_text("Nested article text.", encoding="utf-8")
    os.symlink(root, root / "sub" / "loop")  # a symlink loop is never walked into
    scan = documents.scan(root, max_bytes=1000)
    assert [d.path for d in scan.documents] == ["copy.txt", "sub/nested.txt"]
    assert scan.skipped == {
        "binary.txt": "binary file (contains NUL bytes)",
        "blank.md": "empty",
        "empty.txt": "empty",
        "good.txt": "duplicate of copy.txt",
        "huge.txt": "too large (2,000 bytes; the cap is 1,000)",
        "image.png": "not an article type (.htm, .html, .markdown, .md, .txt)",
    }


def test_a_duplicate_of_a_file_whose_name_breaks_lines_is_reported_on_one_line(tmp_path):
    # Found by tests/test_fuzz_reader.py: the reason named the first copy as it was, line break included.
    root = tmp_path / "a"
    root.mkdir()
    (root / "0.html").write_bytes(b"\x01")
    (root / "\n\u0080.html").write_bytes(b"\x01")
    scan = documents.scan(root, max_bytes=1000)
    assert [d.path for d in scan.documents] == ["\n\u0080.html"]
    assert scan.skipped == {"0.html": "duplicate of \\n\\x80.html"}


def test_missing_folder_is_a_clear_error(tmp_path):
    import pytest

    from qa.errors import BadInputError

    with pytest.raises(BadInputError, match="article folder not found"):
        documents.scan(tmp_path / "nope", max_bytes=1000)


def test_bom_and_mixed_newlines_are_kept(tmp_path):
    raw = "Title Line Of The Piece\r\n\r\nFirst sentence.\rSecond\u00a0one.\nThird “one”.\n"
    (tmp_path / "a.txt").write_bytes(b"\xef\xbb\xbf" + raw.encode("utf-8"))
    doc = documents.scan(tmp_path, max_bytes=10**6).documents[0]
    assert doc.text == raw  # BOM dropped, no newline translation
    assert doc.text == read_text(tmp_path / "a.txt")


def test_windows_1252_is_detected(tmp_path):
    text = "Caf\u00e9 owners said the \u201cnew\u201d rules were unfair. They protested on Monday in the centre of town.\n" * 3
    (tmp_path / "cp.txt").write_bytes(text.encode("cp1252"))
    doc = documents.scan(tmp_path, max_bytes=10**6).documents[0]
    assert doc.text == text
    assert doc.encoding != "utf-8"  # a detected code page (cp1250 and cp1252 agree on these characters)


def test_html_text_and_metadata_are_extracted(tmp_path):
    html = """<html><head><title>Page Title | Site</title>
    <meta property="og:title" content="The Real Headline">
    <meta property="og:site_name" content="Daily Example">
    <meta property="article:published_time" content="2019-03-04T10:00:00Z">
    <link rel="canonical" href="https://example.org/story">
    <script>alert("x")</script><style>p{color:red}</style></head>
    <body><nav>Home | World</nav><article><h1>The Real Headline</h1>
    <p>First paragraph of the story.</p><p>Second &amp; last paragraph.</p></article>
    <footer>Copyright footer</footer></body></html>"""
    (tmp_path / "story.html").write_text(html, encoding="utf-8")
    doc = documents.scan(tmp_path, max_bytes=10**6).documents[0]
    assert "First paragraph of the story." in doc.text
    assert "Second & last paragraph." in doc.text
    assert "alert" not in doc.text and "color:red" not in doc.text and "Home | World" not in doc.text
    assert (doc.title, doc.source, doc.date, doc.url) == ("The Real Headline", "Daily Example", "2019-03-04", "https://example.org/story")


def test_sidecar_overrides_inferred_metadata(tmp_path):
    (tmp_path / "a.txt").write_text("Some Headline Of The Day\n\nBody text here.", encoding="utf-8")
    (tmp_path / "a.txt.meta.json").write_text(json.dumps({"source": "Wire", "date": "5 May 2020", "url": "https://w.example/a"}), encoding="utf-8")
    scan = documents.scan(tmp_path, max_bytes=10**6)
    doc = scan.documents[0]
    assert (doc.title, doc.source, doc.date, doc.url) == ("Some Headline Of The Day", "Wire", "2020-05-05", "https://w.example/a")
    assert scan.skipped == {}  # the sidecar is metadata, not an article


def test_markdown_front_matter_is_boilerplate(tmp_path):
    text = "---\ntitle: T\nsource: S\n---\nBody sentence one. Body sentence two.\n"
    (tmp_path / "a.md").write_text(text, encoding="utf-8")
    doc = documents.scan(tmp_path, max_bytes=10**6).documents[0]
    assert doc.boilerplate[0] == (0, text.index("Body"))
    assert (doc.title, doc.source) == ("T", "S")


# --- issue 10, item 14: HTML is streamed, with the text BeautifulSoup gave --------------------------

import re

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from qa import html as qa_html


def _soup_extract(page: str) -> tuple[str, dict]:
    """The extraction before the streaming parser (BeautifulSoup), less comments: the oracle."""
    bs4 = pytest.importorskip("bs4")
    soup = bs4.BeautifulSoup(page, "html.parser")

    def meta(*names):
        for name in names:
            tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
            if tag and tag.get("content", "").strip():
                return tag["content"].strip()
        return None

    title = meta("og:title", "twitter:title")
    if not title and soup.title and soup.title.string:
        title = soup.title.string.strip()
    h1 = soup.find("h1")
    if not title and h1:
        title = h1.get_text(" ", strip=True)
    date = meta("article:published_time", "date", "pubdate", "dc.date")
    if not date:
        t = soup.find("time")
        date = t.get("datetime") or t.get_text(strip=True) if t else None
    canonical = soup.find("link", attrs={"rel": "canonical"})
    url = meta("og:url") or (canonical.get("href") if canonical else None)
    found = {"title": title, "source": meta("og:site_name", "publisher", "author"),
             "date": documents.metadata.parse_date(date) if date else None, "url": url}
    for tag in soup(sorted(qa_html._DROP)):
        tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    parts = []
    for el in root.descendants:
        if isinstance(el, str) and (not isinstance(el, bs4.element.PreformattedString) or isinstance(el, bs4.CData)):
            parts.append(el)
        elif isinstance(el, bs4.Tag) and el.name in qa_html._BLOCKS:
            parts.append("\n\n")
    text = re.sub(r"[ \t\r\f\v]+", " ", "".join(parts))
    text = re.sub(r"\n{3,}", "\n\n", re.sub(r" *\n *", "\n", text)).strip()
    return text + "\n", found


_TAGS = ["p", "div", "b", "span", "article", "main", "body", "nav", "script", "h1", "title", "time", "pre", "br",
         "hr", "li", "template", "rt", "header", "a"]
_TOKENS = st.one_of(
    st.sampled_from(_TAGS).map(lambda t: f"<{t}>"),
    st.sampled_from(_TAGS).map(lambda t: f"</{t}>"),
    st.sampled_from(_TAGS).map(lambda t: f"<{t}/>"),
    st.sampled_from(['<meta property="og:title" content="OG">', '<meta name="author" content="Ann">',
                     '<meta property="og:title" content=" ">', '<link rel="canonical alternate" href="https://c/">',
                     '<time datetime="2020-01-02">', "<time>3 May 2019</time>", "<!-- note -->", "&amp;", "&nbsp;",
                     "&foo;", "&#150;", "&#xd800;", "<![CDATA[cd]]>", "\n", "\n\n", "  ", "\t"]),
    st.text(alphabet="ab cD.\n", min_size=1, max_size=6),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_TOKENS, max_size=40).map("".join))
@example("<h1><template><![CDATA[cd]]>")  # found by this test: a CDATA section is text even in a template
def test_streamed_html_gives_the_text_and_metadata_beautifulsoup_gave(page):
    assert qa_html.extract(page) == _soup_extract(page)


def test_html_extraction_of_the_example_page_is_unchanged(tmp_path):
    page = ("<!DOCTYPE html><html><head><title> T </title></head><body><header>Top</header><p>One <b>two</b>"
            "</p>\n\n\n<div>Three<br>four</div><!-- hidden --><pre>  kept   \n  spaces </pre></body></html>")
    assert qa_html.extract(page) == _soup_extract(page)
    assert qa_html.extract(page) == ("One two\n\nThree\n\nfour\n\nkept\nspaces\n", {"title": "T", "source": None, "date": None, "url": None})


# --- issue 10, items 1, 3, 7, 8, 15: names, symlinks, sidecars, encodings, unreadable folders -------


def _no_surrogates(scan: documents.FolderScan) -> None:
    strings = [s for d in scan.documents for s in (d.path, d.text, d.title, d.source, d.date, d.url, d.encoding) if s]
    strings += [s for kv in scan.skipped.items() for s in kv]
    for s in strings:
        s.encode("utf-8")  # raises on a lone surrogate
    json.dumps(scan.skipped, ensure_ascii=False).encode("utf-8")


def test_a_file_name_that_is_not_utf8_is_skipped_with_a_printable_name(tmp_path):
    root = os.fsencode(tmp_path)
    with open(root + b"/caf\xe9.txt", "wb") as f:
        f.write(b"Some text.\n")
    os.mkdir(root + b"/d\xff")
    with open(root + b"/d\xff/in.txt", "wb") as f:
        f.write(b"Other text.\n")
    (tmp_path / "ok.txt").write_text("Fine text.\n", encoding="utf-8")
    scan = documents.scan(tmp_path, max_bytes=10**6)
    assert [d.path for d in scan.documents] == ["ok.txt"]
    assert scan.skipped == {"caf\\xe9.txt": "file name is not valid UTF-8: rename it",
                            "d\\xff/": "folder name is not valid UTF-8: rename it"}
    _no_surrogates(scan)


def test_symlinks_may_not_lead_out_of_the_folder(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    root = tmp_path / "a"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "real.txt").write_text("An article inside the folder.\n", encoding="utf-8")
    os.symlink(secret, root / "passwd.txt")
    os.symlink("../../secret.txt", root / "sub" / "relative.txt")
    os.symlink("sub/real.txt", root / "inside.txt")
    os.symlink(root / "missing.txt", root / "dangling.txt")
    (root / "good.txt").write_text("Body text.\n", encoding="utf-8")
    os.symlink(secret, root / "good.txt.meta.json")  # a sidecar may not lead out either
    scan = documents.scan(root, max_bytes=10**6)
    assert [d.path for d in scan.documents] == ["good.txt", "inside.txt"]
    assert scan.skipped == {
        "dangling.txt": "broken symbolic link",
        "passwd.txt": "symbolic link to a file outside the article folder (not read)",
        "sub/relative.txt": "symbolic link to a file outside the article folder (not read)",
        "sub/real.txt": "duplicate of inside.txt",
        "good.txt.meta.json": "sidecar ignored: symbolic link to a file outside the article folder (not read)",
    }
    assert all("root:x" not in d.text for d in scan.documents)


@pytest.mark.parametrize("content, reason", [
    (b"[" * 200_000, "sidecar ignored: larger than 64 KB"),
    (b"[" * 60_000, "sidecar ignored: nested too deeply"),
    (b"{not json", "sidecar ignored: not valid JSON (line 1, column 2: Expecting property name enclosed in double quotes)"),
    (b'["a list"]', "sidecar ignored: a JSON object was expected, not list"),
    (b"\xff\xfe{}", "sidecar ignored: not UTF-8"),
])
def test_a_bad_sidecar_counts_as_none_and_is_reported(tmp_path, content, reason):
    (tmp_path / "a.txt").write_text("Some Headline Of The Day\n\nBody text here.", encoding="utf-8")
    (tmp_path / "a.txt.meta.json").write_bytes(content)
    scan = documents.scan(tmp_path, max_bytes=10**6)
    assert [d.path for d in scan.documents] == ["a.txt"]
    assert scan.documents[0].title == "Some Headline Of The Day"
    assert scan.skipped == {"a.txt.meta.json": reason}


def test_sidecar_values_of_the_wrong_type_or_with_lone_surrogates_are_cleaned(tmp_path):
    (tmp_path / "a.txt").write_text("Body text here.", encoding="utf-8")
    (tmp_path / "a.meta.json").write_text('{"title": ["x"], "source": "Wire \\ud800", "date": 5, "url": {}}', encoding="utf-8")
    scan = documents.scan(tmp_path, max_bytes=10**6)
    d = scan.documents[0]
    assert (d.title, d.source, d.date, d.url) == (None, "Wire ?", None, None)
    _no_surrogates(scan)


@pytest.mark.parametrize("text, encoded, encoding", [
    ("Il habite à Zürich depuis 2010.\n", "latin-1", "cp1252"),
    ("The “new” rules… were unfair, she said.\n", "cp1252", "cp1252"),
    ("La economía española creció.\n", "latin-1", "cp1252"),
    ("Ça coûte 5 € à l’entrée — même pour les élèves.\n", "cp1252", "cp1252"),
    ("UTF-16 text, “quoted”, with é.\n", "utf-16", "utf-16"),  # with a BOM
    ("UTF-16 text without a BOM, é.\n", "utf-16-le", "utf-16-le"),
    ("UTF-16 text without a BOM, é.\n", "utf-16-be", "utf-16-be"),
    ("UTF-32 text.\n", "utf-32", "utf-32"),
    ("Ленин жил в Цюрихе в 1916 году, и это известно всем историкам города.\n" * 3, "cp1251", "cp1251"),
])
def test_encodings_are_decoded_to_the_written_text(tmp_path, text, encoded, encoding):
    (tmp_path / "a.txt").write_bytes(text.encode(encoded))
    scan = documents.scan(tmp_path, max_bytes=10**6)
    assert scan.skipped == {}
    assert (scan.documents[0].text, scan.documents[0].encoding) == (text, encoding)


def test_binary_stays_skipped(tmp_path):
    (tmp_path / "a.txt").write_bytes(bytes(range(256)) * 8)
    (tmp_path / "b.txt").write_bytes(b"\x01\x00\x02\x00\x03\x00" * 100)  # NUL pattern, but control characters
    scan = documents.scan(tmp_path, max_bytes=10**6)
    assert scan.documents == []
    assert set(scan.skipped) == {"a.txt", "b.txt"}
    assert all(reason.startswith("binary file") for reason in scan.skipped.values())


def test_an_unreadable_folder_is_listed_with_its_reason(tmp_path, monkeypatch):
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "a.txt").write_text("Hidden text.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Visible text.\n", encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path="."):  # root may read a folder chmod 000: make os.walk's onerror fire instead
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    scan = documents.scan(tmp_path, max_bytes=10**6)
    assert [d.path for d in scan.documents] == ["b.txt"]
    assert scan.skipped == {"locked/": "folder not readable (Permission denied): nothing in it is indexed"}
