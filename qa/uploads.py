"""Articles added through the web page: checked (type, size, count, name, text) and saved into the
article folder under a safe name of our choosing. Never a client-given path; nothing is served back."""

from __future__ import annotations

import json
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from qa.errors import BadInputError
from qa.dates import parse_date

ALLOWED_SUFFIXES = (".txt", ".md", ".html")
MAX_FILES = 50  # per batch
MAX_BYTES = 2 * 1024 * 1024  # per file (Gradio says "2 Mb"): a news article is a few dozen KB
MAX_NAME = 80
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class Intake:
    """What became of a batch: the names saved in the article folder, and each refused file with its reason."""

    saved: tuple[str, ...] = ()
    refused: tuple[tuple[str, str], ...] = ()

    def message(self) -> str:
        lines = []
        if self.saved:
            lines.append(f"Saved {len(self.saved)} article{'s' if len(self.saved) != 1 else ''}: " + ", ".join(self.saved))
        lines += [f"Refused {name}: {why}" for name, why in self.refused]
        return "\n".join(lines) or "Nothing to add: choose files or paste an article."


def safe_name(name: str) -> str:
    """The file name to save ``name`` under: letters, digits, '.', '-' and '_' only, at most
    MAX_NAME characters, with an allowed suffix; a BadInputError for a path or another type."""
    if not isinstance(name, str) or not name.strip():
        raise BadInputError("the file has no name")
    if "/" in name or "\\" in name or name.strip() in (".", "..") or "\x00" in name:
        raise BadInputError("the name contains a path; only plain file names are accepted")
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise BadInputError(f"not an article file ({suffix or 'no suffix'}); allowed: {', '.join(ALLOWED_SUFFIXES)}")
    stem = unicodedata.normalize("NFKD", name[: -len(suffix)]).encode("ascii", "ignore").decode()
    stem = _UNSAFE.sub("_", stem).strip("._-")[: MAX_NAME - len(suffix)] or "article"
    return stem + suffix


def _free(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name`` with -2, -3 … where that is taken."""
    path = folder / name
    stem, suffix = path.stem, path.suffix
    n = 2
    while path.exists() or path.is_symlink():
        path = folder / f"{stem}-{n}{suffix}"
        n += 1
    return path


def _check_text(data: bytes) -> None:
    if b"\x00" in data:
        raise BadInputError("not a text file (binary content)")
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInputError("not UTF-8 text") from None
    if not data.strip():
        raise BadInputError("the file is empty")


def _write_new(path: Path, data: bytes) -> None:
    """Create ``path`` (never follow or replace an existing file or link)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def save_files(files: list[tuple[str, Path]], articles: Path, *, max_files: int = MAX_FILES,
               max_bytes: int = MAX_BYTES) -> Intake:
    """Save uploaded files (client name, temporary path) into ``articles``; refuse what does not pass."""
    if len(files) > max_files:
        return Intake(refused=(("all files", f"too many files ({len(files)}); at most {max_files} at once"),))
    articles.mkdir(parents=True, exist_ok=True)
    saved, refused = [], []
    by_size: dict[int, list[Path]] = {}  # the folder's articles by size: a duplicate is compared byte for byte
    for p in articles.iterdir() if files else ():
        if p.suffix.lower() in ALLOWED_SUFFIXES and p.is_file() and not p.is_symlink():
            by_size.setdefault(p.stat().st_size, []).append(p)
    for name, temp in files:
        shown = (name or "?")[:120]
        try:
            target = safe_name(name)
            size = temp.stat().st_size
            if size > max_bytes:
                raise BadInputError(f"too large ({size:,} bytes; the limit is {max_bytes:,})")
            data = temp.read_bytes()
            _check_text(data)
            if any(p.read_bytes() == data for p in by_size.get(len(data), [])):
                raise BadInputError("already in the article folder")
            path = _free(articles, target)
            _write_new(path, data)
            by_size.setdefault(len(data), []).append(path)
            saved.append(path.name)
        except BadInputError as e:
            refused.append((shown, str(e)))
        except OSError as e:
            refused.append((shown, f"could not be saved ({e.strerror or e})"))
    return Intake(tuple(saved), tuple(refused))


def save_pasted(articles: Path, *, text: str, title: str = "", source: str = "", date: str = "", url: str = "",
                max_bytes: int = MAX_BYTES) -> Intake:
    """Save pasted article text as NAME.txt with its metadata in NAME.txt.meta.json."""
    title, source, date, url = (x.strip() for x in (title or "", source or "", date or "", url or ""))
    data = (text or "").replace("\r\n", "\n").encode("utf-8")
    label = title or "pasted text"
    try:
        _check_text(data)
        if len(data) > max_bytes:
            raise BadInputError(f"too large ({len(data):,} bytes; the limit is {max_bytes:,})")
        if date:
            date = parse_date(date) or ""
            if not date:
                raise BadInputError("the date is not a date (use YYYY-MM-DD)")
        if url and not url.startswith(("http://", "https://")):
            raise BadInputError("the URL must start with http:// or https://")
        articles.mkdir(parents=True, exist_ok=True)
        path = _free(articles, safe_name(_UNSAFE.sub("_", title)[:60] + ".txt" if title else "pasted.txt"))
        meta = {k: v for k, v in (("title", title), ("source", source), ("date", date), ("url", url)) if v}
        _write_new(path, data)
        if meta:
            _write_new(path.with_name(path.name + ".meta.json"), json.dumps(meta, ensure_ascii=False).encode("utf-8"))
    except BadInputError as e:
        return Intake(refused=((label, str(e)),))
    except OSError as e:
        return Intake(refused=((label, f"could not be saved ({e.strerror or e})"),))
    return Intake(saved=(path.name,))
