"""Articles added through the page: only plain names, allowed types, under the caps, text; never overwrite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.errors import BadInputError
from qa.uploads import MAX_BYTES, save_files, save_pasted, safe_name


@pytest.mark.parametrize("name,saved", [("a.txt", "a.txt"), ("Report 2018 (final).md", "Report_2018_final.md"),
                                        ("ÉTÉ.HTML", "ETE.html"), ("...x.txt", "x.txt"), ("!!!.txt", "article.txt")])
def test_safe_names(name, saved):
    assert safe_name(name) == saved


@pytest.mark.parametrize("name,why", [("../evil.txt", "path"), ("/etc/passwd.txt", "path"), ("a\\b.txt", "path"),
                                      ("x.exe", ".exe"), ("pic.png", ".png"), ("noext", "no suffix"), ("", "no name")])
def test_refused_names(name, why):
    with pytest.raises(BadInputError, match=why.replace(".", r"\.")):
        safe_name(name)


def _upload(tmp_path: Path, name: str, data: bytes) -> tuple[str, Path]:
    temp = tmp_path / "temp" / str(len(list((tmp_path / "temp").glob("*"))) if (tmp_path / "temp").exists() else 0)
    temp.mkdir(parents=True, exist_ok=True)
    (temp / "f").write_bytes(data)
    return name, temp / "f"


def test_save_files_keeps_good_ones_and_says_why_others_are_refused(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text("Existing article.", encoding="utf-8")
    files = [_upload(tmp_path, "a.txt", b"A new article with the same name."),
             _upload(tmp_path, "copy.txt", b"Existing article."),
             _upload(tmp_path, "../up.txt", b"text"),
             _upload(tmp_path, "bin.txt", b"\x89PNG\x00\x00"),
             _upload(tmp_path, "big.txt", b"a" * (MAX_BYTES + 1)),
             _upload(tmp_path, "latin.txt", "caf\xe9".encode("latin-1")),
             _upload(tmp_path, "empty.md", b"  \n"),
             _upload(tmp_path, "ok.html", b"<p>An HTML article.</p>")]
    intake = save_files(files, folder)
    assert intake.saved == ("a-2.txt", "ok.html")
    assert (folder / "a.txt").read_text() == "Existing article."  # never overwritten
    reasons = dict(intake.refused)
    assert reasons == {"copy.txt": "already in the article folder",
                       "../up.txt": "the name contains a path; only plain file names are accepted",
                       "bin.txt": "not a text file (binary content)",
                       "big.txt": f"too large ({MAX_BYTES + 1:,} bytes; the limit is {MAX_BYTES:,})",
                       "latin.txt": "not UTF-8 text", "empty.md": "the file is empty"}
    assert sorted(p.name for p in folder.iterdir()) == ["a-2.txt", "a.txt", "ok.html"]
    assert "Saved 2 articles: a-2.txt, ok.html" in intake.message()


def test_too_many_files_are_refused_together(tmp_path):
    files = [_upload(tmp_path, f"{i}.txt", f"article {i}".encode()) for i in range(4)]
    intake = save_files(files, tmp_path / "articles", max_files=3)
    assert intake.saved == () and intake.refused == (("all files", "too many files (4); at most 3 at once"),)
    assert not (tmp_path / "articles").exists() or not any((tmp_path / "articles").iterdir())


def test_a_link_in_the_folder_is_never_followed(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("keep", encoding="utf-8")
    (folder / "a.txt").symlink_to(outside)
    intake = save_files([_upload(tmp_path, "a.txt", b"new text")], folder)
    assert intake.saved == ("a-2.txt",) and outside.read_text() == "keep"


def test_pasted_text_gets_a_sidecar(tmp_path):
    intake = save_pasted(tmp_path, text="The lighthouse reopened in 1987.", title="Lighthouse: reopened!",
                         source="Harbour Gazette", date="3 March 2020", url="https://example.org/l")
    assert intake.saved == ("Lighthouse_reopened.txt",)
    meta = json.loads((tmp_path / "Lighthouse_reopened.txt.meta.json").read_text(encoding="utf-8"))
    assert meta == {"title": "Lighthouse: reopened!", "source": "Harbour Gazette", "date": "2020-03-03",
                    "url": "https://example.org/l"}


@pytest.mark.parametrize("kw,why", [({"text": ""}, "empty"), ({"text": "x", "date": "soon"}, "not a date"),
                                    ({"text": "x", "url": "javascript:alert(1)"}, "http")])
def test_pasted_text_refusals(tmp_path, kw, why):
    intake = save_pasted(tmp_path, **kw)
    assert intake.saved == () and why in intake.refused[0][1]
    assert list(tmp_path.iterdir()) == []
