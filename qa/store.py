"""The index on disk: plain files plus a manifest, written atomically, one writer at a time.

Layout of an index folder::

    index/
      CURRENT              name of the live generation (replaced atomically)
      .lock                held by the one process writing
      gen-<time>-<id>/     one complete index
        manifest.json      schema, model and weights hash, tokenizer, chunk settings, files, counts
        documents.jsonl    each article's stored text, metadata and boilerplate spans
        chunks.jsonl       each chunk's id, path, start, end and sentence spans
        vectors.npy        normalised float32 vectors of the chunks' sentences, in chunk order
        dense.faiss        the FAISS index over those vectors
        bm25/              bm25s's files (JSON + .npy)

A generation is written under a temporary name, flushed to disk, renamed, and only then named
in CURRENT; a build killed at any point leaves the previous generation live.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from qa.chunking import Chunk
from qa.documents import Document
from qa.errors import IndexBusyError, IndexCorruptError, IndexMismatchError, IndexMissingError, QAError

CURRENT = "CURRENT"
LOCK = ".lock"
GEN_PREFIX = "gen-"
TMP_PREFIX = ".tmp-"
FILES = ("manifest.json", "documents.jsonl", "chunks.jsonl", "vectors.npy", "dense.faiss", "bm25")


@dataclass(frozen=True, slots=True)
class Generation:
    """One complete index as read from disk."""

    folder: Path
    manifest: dict[str, Any]
    documents: dict[str, Document]
    chunks: list[Chunk]
    vectors: np.ndarray


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_jsonl(path: Path, rows: Iterator[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def is_index(folder: Path) -> bool:
    return (folder / CURRENT).is_file()


def current(folder: Path) -> Path:
    """The live generation's folder; IndexMissingError when there is none."""
    folder = Path(folder)
    pointer = folder / CURRENT
    if not pointer.is_file():
        raise IndexMissingError(f"no index in {folder}: build one with `qa index build ARTICLES --index {folder}`")
    name = pointer.read_text(encoding="utf-8").strip()
    gen = folder / name
    if not name.startswith(GEN_PREFIX) or not gen.is_dir():
        raise IndexCorruptError(f"index {folder} is damaged (CURRENT names {name!r}): rebuild it with `qa index build --index {folder}`")
    return gen


@contextlib.contextmanager
def writer_lock(folder: Path) -> Iterator[None]:
    """Hold the index's write lock, or fail at once if another build or update holds it."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise QAError(f"{folder} is a file, not an index folder")
    # Never write into a folder of other files; hidden ones (.gitkeep) do not count.
    visible = [p for p in folder.iterdir() if not p.name.startswith(".")] if folder.is_dir() else []
    if visible and not is_index(folder):
        raise QAError(f"{folder} holds other files and is not an index: choose an empty or new folder for --index")
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusyError(f"another build or update is writing {folder}: wait for it to finish, then try again") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write(
    folder: Path,
    *,
    manifest: dict[str, Any],
    documents: list[Document],
    chunks: list[Chunk],
    vectors: np.ndarray,
    dense_bytes: bytes,
    lexical,  # qa.lexical.Lexical
) -> Path:
    """Write a new generation and make it live. The caller holds ``writer_lock``."""
    folder = Path(folder)
    name = f"{GEN_PREFIX}{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    tmp = folder / f"{TMP_PREFIX}{name}"
    tmp.mkdir(parents=True)
    _write_jsonl(tmp / "documents.jsonl", (asdict(d) for d in documents))
    _write_jsonl(
        tmp / "chunks.jsonl",
        ({"id": c.id, "path": c.path, "start": c.start, "end": c.end, "sentences": c.sentences} for c in chunks),
    )
    np.save(tmp / "vectors.npy", np.ascontiguousarray(vectors, dtype=np.float32), allow_pickle=False)
    (tmp / "dense.faiss").write_bytes(dense_bytes)
    lexical.save(tmp / "bm25")
    # The manifest goes last: a generation without one is incomplete by definition.
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    for path in tmp.rglob("*"):
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
    _fsync_dir(tmp / "bm25")
    _fsync_dir(tmp)
    final = folder / name
    os.rename(tmp, final)
    pointer_tmp = folder / f"{TMP_PREFIX}{CURRENT}"
    with open(pointer_tmp, "w", encoding="utf-8") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    previous = current(folder).name if is_index(folder) else None
    os.replace(pointer_tmp, folder / CURRENT)
    _fsync_dir(folder)
    _prune(folder, keep={name, previous})
    return final


def _prune(folder: Path, *, keep: set[str | None]) -> None:
    """Remove old generations and leftovers of killed builds. The one before the new is kept,
    so a process that is loading it right now still finds its files."""
    for child in folder.iterdir():
        if child.name in keep or child.name in (CURRENT, LOCK):
            continue
        if child.name.startswith((GEN_PREFIX, TMP_PREFIX)):
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)


def read_manifest(folder: Path) -> dict[str, Any]:
    gen = current(folder)
    try:
        return json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise IndexCorruptError(f"index {folder} is damaged ({e}): rebuild it with `qa index build --index {folder}`") from e


def check_shape(manifest: dict[str, Any], expected: dict[str, Any], folder: Path) -> None:
    """Refuse an index built with other settings, naming the difference and the fix."""
    built = manifest.get("settings", {})
    diffs = [f"{k} {built.get(k)!r} (now {v!r})" for k, v in expected.items() if built.get(k) != v]
    if diffs:
        raise IndexMismatchError(
            f"index {folder} was built with other settings: {'; '.join(diffs)}. "
            f"Rebuild it: qa index build {manifest.get('articles', 'ARTICLES')} --index {folder}"
        )


def read(folder: Path) -> Generation:
    """Read the live generation whole (nothing stays memory-mapped to files a rebuild may remove)."""
    folder = Path(folder)
    gen = current(folder)
    manifest = read_manifest(folder)
    try:
        docs = {}
        for row in _read_jsonl(gen / "documents.jsonl"):
            row["boilerplate"] = tuple(tuple(s) for s in row["boilerplate"])
            docs[row["path"]] = Document(**row)
        chunks = [
            Chunk(r["id"], r["path"], r["start"], r["end"], docs[r["path"]].text[r["start"]:r["end"]],
                  tuple(tuple(s) for s in r["sentences"]))
            for r in _read_jsonl(gen / "chunks.jsonl")
        ]
        vectors = np.load(gen / "vectors.npy", allow_pickle=False)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise IndexCorruptError(f"index {folder} is damaged ({e}): rebuild it with `qa index build --index {folder}`") from e
    if len(chunks) != manifest.get("counts", {}).get("chunks") or vectors.shape[0] != sum(len(c.sentences) for c in chunks):
        raise IndexCorruptError(f"index {folder} is damaged (counts disagree): rebuild it with `qa index build --index {folder}`")
    return Generation(gen, manifest, docs, chunks, vectors)
