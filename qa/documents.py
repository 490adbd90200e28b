"""Reading an article folder: files → ``Document`` (stored text + metadata + boilerplate spans)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from qa import boilerplate, metadata
from qa.errors import BadInputError

TEXT_SUFFIXES = {".txt": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}
SIDECAR_SUFFIX = ".meta.json"


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

    def meta(self) -> dict[str, str | None]:
        return {"title": self.title, "source": self.source, "date": self.date, "url": self.url}


@dataclass(frozen=True, slots=True)
class FolderScan:
    """The articles of a folder, and the files left out with the reason."""

    documents: list[Document]
    skipped: dict[str, str]


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _candidate_files(root: Path) -> Iterator[Path]:
    # followlinks=False: a symlinked folder (or a loop of them) is never walked into.
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name


def decode(data: bytes) -> tuple[str, str]:
    """Bytes → (text, encoding). UTF-8 (BOM dropped) first; otherwise a detected encoding.

    Raises ValueError when the bytes look binary or no encoding fits.
    """
    if b"\x00" in data:
        raise ValueError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise ValueError("not text in any known encoding")
    return str(best), best.encoding


def read_file(root: Path, file: Path, *, max_bytes: int) -> Document:
    """Read one article. Raises ValueError with the reason when it cannot be indexed."""
    rel = file.relative_to(root).as_posix()
    kind = TEXT_SUFFIXES.get(file.suffix.lower())
    if kind is None:
        raise ValueError(f"not an article type ({', '.join(sorted(TEXT_SUFFIXES))})")
    size = file.stat().st_size
    if size > max_bytes:
        raise ValueError(f"too large ({size:,} bytes; the cap is {max_bytes:,})")
    data = file.read_bytes()
    if not data.strip():
        raise ValueError("empty")
    raw, encoding = decode(data)
    if kind == "html":
        from qa import html

        text, found = html.extract(raw)
    else:
        text, found = raw, {}
    if not text.strip():
        raise ValueError("no text")
    spans = boilerplate.spans(text, markdown=kind == "markdown")
    meta = metadata.infer(text, markdown=kind == "markdown")
    meta.update({k: v for k, v in found.items() if v})
    meta.update(_sidecar(file))
    return Document(
        path=rel,
        text=text,
        sha256=text_sha256(text),
        boilerplate=spans,
        encoding=encoding,
        **{k: meta.get(k) for k in ("title", "source", "date", "url")},
    )


def _sidecar(file: Path) -> dict[str, str]:
    side = file.with_name(file.name + SIDECAR_SUFFIX)
    if not side.is_file():
        side = file.with_suffix(SIDECAR_SUFFIX)
    if not side.is_file():
        return {}
    try:
        data = json.loads(side.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    out = {k: str(data[k]) for k in ("title", "source", "url") if isinstance(data.get(k), str) and data[k]}
    if isinstance(data.get("date"), str):
        date = metadata.parse_date(data["date"])
        if date:
            out["date"] = date
    return out


def scan(root: str | Path, *, max_bytes: int) -> FolderScan:
    """Read every article under ``root`` (recursively). Bad files are skipped with a reason."""
    root = Path(root)
    if not root.is_dir():
        raise BadInputError(f"article folder not found: {root} (give a folder of .txt, .md or .html files)")
    docs: list[Document] = []
    skipped: dict[str, str] = {}
    seen: dict[str, str] = {}
    for file in _candidate_files(root):
        rel = file.relative_to(root).as_posix()
        if rel.endswith(SIDECAR_SUFFIX):
            continue
        try:
            if not file.is_file():
                raise ValueError("not a regular file")
            doc = read_file(root, file, max_bytes=max_bytes)
        except (OSError, ValueError) as e:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            skipped[rel] = reason
            continue
        if doc.sha256 in seen:
            skipped[rel] = f"duplicate of {seen[doc.sha256]}"
            continue
        seen[doc.sha256] = rel
        docs.append(doc)
    return FolderScan(docs, skipped)
