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
import errno
import fcntl
import json
import mmap
import os
import re
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
from qa.results import IndexedFile, IndexInfo

CURRENT = "CURRENT"
LOCK = ".lock"
GEN_PREFIX = "gen-"
TMP_PREFIX = ".tmp-"
FILES = ("manifest.json", "documents.jsonl", "chunks.jsonl", "vectors.npy", "dense.faiss", "bm25")
# What CURRENT may name: a generation folder directly inside the index folder, nothing else.
_GEN_NAME = re.compile(r"gen-\d{8}T\d{6}-[0-9a-f]{8}")


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


def damaged(folder: Path, why: object) -> IndexCorruptError:
    """The one-line error for an index that cannot be read, naming the fix."""
    return IndexCorruptError(f"index {folder} is damaged ({why}): rebuild it with `qa index build ARTICLES --index {folder}`")


def is_index(folder: Path) -> bool:
    return (Path(folder) / CURRENT).is_file()


def _looks_like_index(folder: Path) -> bool:
    """An index folder, even one whose CURRENT was lost: only our own entries in it."""
    names = [p.name for p in folder.iterdir() if not p.name.startswith(".")]
    return bool(names) and all(n == CURRENT or n.startswith(GEN_PREFIX) for n in names)


def current(folder: Path) -> Path:
    """The live generation's folder; IndexMissingError when there is none, IndexCorruptError when
    CURRENT names anything but a generation folder directly inside ``folder``."""
    folder = Path(folder)
    pointer = folder / CURRENT
    try:
        raw = pointer.read_bytes()
    except FileNotFoundError:
        raise IndexMissingError(f"no index in {folder}: build one with `qa index build ARTICLES --index {folder}`") from None
    except OSError as e:
        if not pointer.exists() and not pointer.is_symlink():
            raise IndexMissingError(f"no index in {folder}: build one with `qa index build ARTICLES --index {folder}`") from None
        raise damaged(folder, e.strerror or e) from e
    name = raw.decode("utf-8", "replace").strip()
    gen = folder / name
    if not _GEN_NAME.fullmatch(name) or gen.is_symlink() or not gen.is_dir():
        raise damaged(folder, f"CURRENT names {name[:80]!r}")
    return gen


def _os_error(folder: Path, e: OSError) -> QAError:
    return QAError(f"cannot write the index in {folder}: {e.strerror or e}"
                   + (" (the disk is full: free some space)" if e.errno == errno.ENOSPC else "")
                   + (" (a read-only folder: choose another --index)" if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM) else ""))


@contextlib.contextmanager
def writer_lock(folder: Path) -> Iterator[None]:
    """Hold the index's write lock, or fail at once if another build or update holds it."""
    folder = Path(folder)
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise QAError(f"{folder} is not a folder: choose an empty or new folder for --index")
    # Never write into a folder of other files; hidden ones (.gitkeep) do not count.
    if folder.is_dir() and any(not p.name.startswith(".") for p in folder.iterdir()) and not _looks_like_index(folder):
        raise QAError(f"{folder} holds other files and is not an index: choose an empty or new folder for --index")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # O_NOFOLLOW: a symlink planted as .lock is never written through.
        fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise QAError(f"{folder / LOCK} is a symlink: remove it, then try again") from None
        raise _os_error(folder, e) from None
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


def _live_name(folder: Path) -> str | None:
    try:
        return current(folder).name
    except QAError:
        return None


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
    """Write a new generation and make it live. The caller holds ``writer_lock``.

    Any failure (a full disk, a read-only folder) removes what was half written and raises a
    QAError; the generation that was live stays live.
    """
    folder = Path(folder)
    previous = _live_name(folder)
    name = f"{GEN_PREFIX}{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    tmp = folder / f"{TMP_PREFIX}{name}"
    final = folder / name
    pointer_tmp = folder / f"{TMP_PREFIX}{CURRENT}"
    try:
        tmp.mkdir()
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
        os.rename(tmp, final)
        # A symlink planted as .tmp-CURRENT is removed, never written through.
        if pointer_tmp.is_symlink() or pointer_tmp.exists():
            pointer_tmp.unlink()
        fd = os.open(pointer_tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(name + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(pointer_tmp, folder / CURRENT)
        _fsync_dir(folder)
    except OSError as e:
        for leftover in (tmp, final):
            if leftover.is_dir() and _live_name(folder) != leftover.name:
                shutil.rmtree(leftover, ignore_errors=True)
        with contextlib.suppress(OSError):
            pointer_tmp.unlink()
        raise _os_error(folder, e) from e
    _prune(folder, keep={name, previous})
    return final


def _prune(folder: Path, *, keep: set[str | None]) -> None:
    """Remove old generations and leftovers of killed builds. The one before the new is kept,
    so a process that is loading it right now still finds its files."""
    for child in folder.iterdir():
        if child.name in keep or child.name in (CURRENT, LOCK):
            continue
        if child.name.startswith((GEN_PREFIX, TMP_PREFIX)):
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    child.unlink()


def manifest_at(gen: Path, folder: Path) -> dict[str, Any]:
    """The manifest of generation ``gen`` of index ``folder``, checked for shape."""
    try:
        manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as e:
        raise damaged(folder, getattr(e, "strerror", None) or e) from e
    ok = (isinstance(manifest, dict) and isinstance(manifest.get("settings"), dict)
          and isinstance(manifest.get("counts"), dict) and isinstance(manifest.get("files"), dict)
          and all(isinstance(v, dict) for v in manifest["files"].values())
          and isinstance(manifest.get("skipped", {}), dict))
    if not ok:
        raise damaged(folder, "manifest.json is not an index manifest")
    return manifest


def read_manifest(folder: Path) -> dict[str, Any]:
    """The live generation's manifest, checked for shape."""
    return manifest_at(current(folder), Path(folder))


def check_shape(manifest: dict[str, Any], expected: dict[str, Any], folder: Path) -> None:
    """Refuse an index built with other settings, naming the difference and the fix."""
    built = manifest.get("settings", {})
    diffs = [f"{k} {built.get(k)!r} (now {v!r})" for k, v in expected.items() if built.get(k) != v]
    if diffs:
        raise IndexMismatchError(
            f"index {folder} was built with other settings: {'; '.join(diffs)}. "
            f"Rebuild it: qa index build {manifest.get('articles', 'ARTICLES')} --index {folder}"
        )


def info_of(folder: Path, gen: Path, manifest: dict[str, Any]) -> IndexInfo:
    """What front ends show about an index, from its manifest."""
    s, c = manifest.get("settings", {}), manifest.get("counts", {})
    try:
        return IndexInfo(
            index_dir=str(folder), generation=gen.name, articles=str(manifest.get("articles", "")),
            built_at=str(manifest.get("built_at", "")), seconds=float(manifest.get("seconds", 0.0)),
            model=str(s.get("model", "")), weights_sha256=str(manifest.get("weights_sha256", "")),
            dimension=int(manifest.get("dimension", 0)), embedding=str(manifest.get("embedding_backend") or manifest.get("embedding_dtype", "")),
            tokenizer=str(s.get("tokenizer", "")), chunk_tokens=int(s.get("chunk_tokens", 0)),
            chunk_overlap=int(s.get("chunk_overlap", 0)), model_max_tokens=int(s.get("model_max_tokens", 0)),
            schema_version=int(s.get("schema_version", 0)), chunk_count=int(c.get("chunks", 0)),
            files=tuple(IndexedFile(path, int(f.get("chunks", 0)), f.get("title"), f.get("source"), f.get("date"),
                                    f.get("url")) for path, f in manifest["files"].items()),
            skipped={str(k): str(v) for k, v in manifest.get("skipped", {}).items()},
        )
    except (TypeError, ValueError, AttributeError) as e:
        raise damaged(folder, f"manifest.json: {e}") from e


def info(folder: Path) -> IndexInfo:
    """What the live index holds and how it was built."""
    folder = Path(folder)
    gen = current(folder)
    return info_of(folder, gen, manifest_at(gen, folder))


def map_vectors(path: Path) -> np.ndarray:
    """vectors.npy memory-mapped read-only, for reading a few hundred rows at random a query."""
    vectors = np.load(path, allow_pickle=False, mmap_mode="r")
    mapping = getattr(vectors, "_mmap", None)
    if mapping is not None and hasattr(mmap, "MADV_RANDOM"):
        # Without this, each row read faults in the kernel's read-ahead window (128 KB) around it:
        # at 10 M vectors, retrieve p50 79 ms and p95 347 ms once the file no longer fits the page cache.
        mapping.madvise(mmap.MADV_RANDOM)
    return vectors


def read(folder: Path, *, mmap_vectors: bool = False) -> Generation:
    """Read the live generation whole, or with ``mmap_vectors`` its vectors memory-mapped (read-only).

    A mapping stays valid when a later build prunes the generation: on Linux an unlinked file lives
    on until it is unmapped. Raises a QAError, never another exception, when the files cannot be used.
    """
    folder = Path(folder)
    gen = current(folder)
    manifest = manifest_at(gen, folder)
    try:
        docs = {}
        for row in _read_jsonl(gen / "documents.jsonl"):
            docs[row["path"]] = Document.from_row(row)
        chunks = []
        for r in _read_jsonl(gen / "chunks.jsonl"):
            text = docs[r["path"]].text
            start, end = int(r["start"]), int(r["end"])
            sentences = tuple((int(a), int(b)) for a, b in r["sentences"])
            if not (0 <= start < end <= len(text)) or any(not (start <= a < b <= end) for a, b in sentences):
                raise ValueError(f"chunk {r.get('id')!r} lies outside its article")
            chunks.append(Chunk(r["id"], r["path"], start, end, text[start:end], sentences))
        vectors = map_vectors(gen / "vectors.npy") if mmap_vectors else np.load(gen / "vectors.npy", allow_pickle=False)
    except Exception as e:  # noqa: BLE001 - whatever is wrong with the files, the index is damaged
        raise damaged(folder, getattr(e, "strerror", None) or e) from e
    n_sentences = sum(len(c.sentences) for c in chunks)
    if (len(chunks) != manifest["counts"].get("chunks") or vectors.ndim != 2
            or vectors.shape[0] != n_sentences or vectors.dtype != np.float32):
        raise damaged(folder, "counts disagree")
    return Generation(gen, manifest, docs, chunks, vectors)
