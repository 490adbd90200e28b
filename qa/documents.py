"""Reading an article folder: files → ``Document`` (stored text + metadata + boilerplate spans)."""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from qa import boilerplate, html, metadata
from qa.errors import BadInputError

TEXT_SUFFIXES = {".txt": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}
SIDECAR_SUFFIX = ".meta.json"
MAX_SIDECAR_BYTES = 64 * 1024  # metadata of one article; anything larger is not a sidecar


@dataclass(frozen=True, slots=True)
class Document:
    """One article as indexed: ``text`` is what offsets index and citations quote."""

    path: str  # relative to the article folder, POSIX separators
    text: str
    sha256: str  # of the stored text: identical articles share it, changed ones do not
    title: str | None = None
    source: str | None = None
    date: str | None = None
    url: str | None = None
    boilerplate: tuple[tuple[int, int], ...] = ()  # half-open spans never indexed nor cited
    encoding: str = "utf-8"

    @classmethod
    def from_row(cls, row: dict) -> "Document":
        """A Document from its stored row (documents.jsonl: ``dataclasses.asdict`` as JSON)."""
        return cls(**{**row, "boilerplate": tuple(tuple(s) for s in row["boilerplate"])})

    def meta(self) -> dict[str, str | None]:
        return {"title": self.title, "source": self.source, "date": self.date, "url": self.url}


@dataclass(frozen=True, slots=True)
class FolderScan:
    """The articles of a folder, and the files left out with the reason.

    A key of ``skipped`` is a path relative to the folder; one ending in "/" is a folder, and a
    name that is not valid UTF-8 is shown with its bad bytes escaped ("caf\\xe9.txt").
    """

    documents: list[Document]
    skipped: dict[str, str]


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def printable(name: str) -> str:
    """A path as it can be shown and written to JSON: bytes that are not UTF-8 escaped ("\\xe9")."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def one_line(name: str) -> str:
    """A name as it can be shown inside a one-line message: ``printable``, with line breaks and
    other control characters escaped ("\\n")."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in printable(name))


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")  # os.walk gives undecodable bytes as lone surrogates
    except UnicodeEncodeError:
        return False
    return True


def _rel(root: Path, path: str | os.PathLike[str]) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def _candidate_files(root: Path, skipped: dict[str, str]) -> Iterator[Path]:
    """Files under ``root`` in sorted order; folders and names that cannot be read go to ``skipped``."""

    def unreadable(e: OSError) -> None:
        where = printable(_rel(root, e.filename)) if e.filename else "."
        skipped[where + "/"] = f"folder not readable ({e.strerror or e.__class__.__name__}): nothing in it is indexed"

    # followlinks=False: a symlinked folder (or a loop of them) is never walked into.
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=unreadable):
        keep = []
        for d in sorted(dirnames):
            if d.startswith("."):
                continue
            if not _is_utf8(d):
                skipped[printable(_rel(root, Path(dirpath) / d)) + "/"] = "folder name is not valid UTF-8: rename it"
                continue
            keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name


# --- decoding ---------------------------------------------------------------------------------------

_BOMS = [(codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")]
# Bytes 0x80-0xFF that cp1252 decodes to a letter: a Western text has a few among many ASCII letters.
_CP1252_LETTER = np.array([bytes([b]).decode("cp1252", "replace").isalpha() for b in range(256)])
_ASCII_LETTER = np.array([chr(b).isalpha() and b < 128 for b in range(256)])
_CONTROL = np.array([b < 32 and chr(b) not in "\t\n\r\f\v" or b == 127 for b in range(256)])
# A symbol wedged between two letters ("by³o", "Ÿród³o"): another code page read as cp1252.
_INWORD_SYMBOL = re.compile(r"(?<=[^\W\d_])[^\w\s\x00-\x7f’‘–—·](?=[^\W\d_])|(?<=[^\W\d_])[¹²³](?=[^\W\d_])")
_CONTROL_CHAR = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# Letters that cp1252 shares with Icelandic only; Turkish text in cp1254 reads as these.
_TURKISH_TELLS = re.compile("[ÐÝÞðýþ]")


def _utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le"/"utf-16-be" when every other byte is NUL, as in mostly-ASCII UTF-16 text."""
    if len(data) < 4 or len(data) % 2:
        return None
    half = len(data) // 2
    even, odd = data[0::2].count(0), data[1::2].count(0)
    if odd >= 0.3 * half and even <= 0.02 * half:
        return "utf-16-le"
    if even >= 0.3 * half and odd <= 0.02 * half:
        return "utf-16-be"
    return None


def _western(data: bytes) -> str | None:
    """The bytes as cp1252 when they decode and read as Western text (few, well-placed accents)."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    counts = np.bincount(np.frombuffer(data, dtype=np.uint8), minlength=256)
    ascii_letters = int(counts[_ASCII_LETTER].sum())
    other_letters = int(counts[_CP1252_LETTER & ~_ASCII_LETTER].sum())
    if counts[_CONTROL].any() or other_letters > 0.3 * (ascii_letters + other_letters):
        return None
    if _INWORD_SYMBOL.search(text) or _TURKISH_TELLS.search(text):
        return None
    return text


def decode(data: bytes) -> tuple[str, str]:
    """Bytes → (text, encoding).

    UTF-8 (a BOM dropped) first; UTF-16/32 by their BOM, or UTF-16 by its NUL bytes; then cp1252
    when the text reads as Western (charset_normalizer took short French for cp1250); then a
    detected encoding. Raises ValueError when the bytes look binary or no encoding fits.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode("utf-8-sig" if codec == "utf-8" else codec)
            except UnicodeDecodeError:
                raise ValueError(f"not valid {codec.upper()} although it starts with its byte order mark") from None
            return _no_nul(text), codec
    if codec := _utf16_without_bom(data):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            pass
        else:
            if len(_CONTROL_CHAR.findall(text, 0, 100_000)) <= 0.01 * min(len(text), 100_000):
                return _no_nul(text), codec  # else binary that happens to be NUL every other byte
    if b"\x00" in data:
        raise ValueError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if (text := _western(data)) is not None:
        return text, "cp1252"
    from charset_normalizer import from_bytes  # only for text that is neither UTF-8 nor Western

    best = from_bytes(data).best()
    if best is None:
        raise ValueError("not text in any known encoding")
    return _no_nul(str(best)), best.encoding


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("binary file (contains NUL characters)")
    return text


# --- reading ----------------------------------------------------------------------------------------

def _inside(root: Path, file: Path) -> Path:
    """The real path of ``file``, which must lie inside ``root`` (a symlink may not lead out)."""
    try:
        real = file.resolve(strict=True)
    except FileNotFoundError:
        raise ValueError("broken symbolic link") from None
    except RuntimeError:  # a loop of symlinks
        raise ValueError("symbolic link loop") from None
    if not real.is_relative_to(root.resolve()):
        raise ValueError("symbolic link to a file outside the article folder (not read)")
    return real


def read_file(root: Path, file: Path, *, max_bytes: int) -> Document:
    """Read one article. Raises ValueError with the reason when it cannot be indexed."""
    return _read(root, file, max_bytes=max_bytes)[0]


def _read(root: Path, file: Path, *, max_bytes: int) -> tuple[Document, dict[str, str]]:
    """The document, and notes on files beside it (a sidecar that was ignored, and why)."""
    root = Path(root)
    rel = _rel(root, file)
    if not _is_utf8(rel):
        raise ValueError("file name is not valid UTF-8: rename it")
    kind = TEXT_SUFFIXES.get(file.suffix.lower())
    if kind is None:
        raise ValueError(f"not an article type ({', '.join(sorted(TEXT_SUFFIXES))})")
    real = _inside(root, file)
    with open(real, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("not a regular file")
        if st.st_size > max_bytes:
            raise ValueError(f"too large ({st.st_size:,} bytes; the cap is {max_bytes:,})")
        data = f.read(max_bytes + 1)  # a file that grows while it is read is still capped
    if len(data) > max_bytes:
        raise ValueError(f"too large (over {max_bytes:,} bytes; the cap is {max_bytes:,})")
    if not data.strip():
        raise ValueError("empty")
    raw, encoding = decode(data)
    del data
    if kind == "html":
        text, found = html.extract(raw)
    else:
        text, found = raw, {}
    del raw
    if not text.strip():
        raise ValueError("no text")
    spans = boilerplate.spans(text, markdown=kind == "markdown")
    meta: dict[str, Any] = metadata.infer(text, markdown=kind == "markdown")
    meta.update({k: v for k, v in found.items() if v})
    side, notes = _sidecar(root, file)
    meta.update(side)
    doc = Document(
        path=rel,
        text=text,
        sha256=text_sha256(text),
        boilerplate=spans,
        encoding=encoding,
        **{k: meta.get(k) for k in ("title", "source", "date", "url")},
    )
    return doc, notes


def _clean(value: str) -> str:
    """A string from JSON without lone surrogates ("\\ud800" is valid JSON, not valid text)."""
    return value.encode("utf-8", "replace").decode("utf-8")


def _sidecar(root: Path, file: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Metadata from ``NAME.meta.json`` (or ``STEM.meta.json``); a bad sidecar counts as none, noted."""
    side = file.with_name(file.name + SIDECAR_SUFFIX)
    if not os.path.lexists(side):
        side = file.with_suffix(SIDECAR_SUFFIX)
        if not os.path.lexists(side):
            return {}, {}
    where = _rel(root, side)
    try:
        real = _inside(root, side)
        with open(real, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise ValueError("not a regular file")
            raw = f.read(MAX_SIDECAR_BYTES + 1)
        if len(raw) > MAX_SIDECAR_BYTES:
            raise ValueError(f"larger than {MAX_SIDECAR_BYTES // 1024} KB")
        data = json.loads(raw.decode("utf-8-sig"))
        if not isinstance(data, dict):
            raise ValueError(f"a JSON object was expected, not {type(data).__name__}")
    except (OSError, ValueError, RecursionError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e) or e.__class__.__name__
        if isinstance(e, RecursionError):
            reason = "nested too deeply"
        elif isinstance(e, UnicodeDecodeError):
            reason = "not UTF-8"
        elif isinstance(e, json.JSONDecodeError):
            reason = f"not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})"
        return {}, {where: f"sidecar ignored: {reason.splitlines()[0] if reason else 'unreadable'}"}
    out = {k: _clean(data[k]) for k in ("title", "source", "url") if isinstance(data.get(k), str) and data[k]}
    if isinstance(data.get("date"), str):
        date = metadata.parse_date(_clean(data["date"]))
        if date:
            out["date"] = date
    return out, {}


def scan(root: str | Path, *, max_bytes: int) -> FolderScan:
    """Read every article under ``root`` (recursively). Bad files are skipped with a reason."""
    root = Path(root)
    if not root.is_dir():
        raise BadInputError(f"article folder not found: {root} (give a folder of .txt, .md or .html files)")
    docs: list[Document] = []
    skipped: dict[str, str] = {}
    seen: dict[str, str] = {}
    for file in _candidate_files(root, skipped):
        rel = _rel(root, file)
        if rel.endswith(SIDECAR_SUFFIX):
            continue
        try:
            doc, notes = _read(root, file, max_bytes=max_bytes)
        except (OSError, ValueError, RecursionError) as e:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            skipped[printable(rel)] = (reason or e.__class__.__name__).splitlines()[0]
            continue
        skipped.update(notes)
        if doc.sha256 in seen:
            skipped[printable(rel)] = f"duplicate of {one_line(seen[doc.sha256])}"
            continue
        seen[doc.sha256] = rel
        docs.append(doc)
    return FolderScan(docs, skipped)
