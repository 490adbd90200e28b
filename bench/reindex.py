"""Rebuild an index with the current code, reusing the sentence vectors of an older index.

    python bench/reindex.py --from /tmp/old-index --articles ../shared/eval/realtimeqa/articles --index /tmp/new-index

For studies: after a change of schema (what BM25 indexes, the reader's rules) the vectors of
unchanged sentences are the same, so a 1,190-article rebuild need not embed them again. Sentences
the old index does not hold are embedded with the real model.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import qa  # noqa: E402
from qa import store  # noqa: E402
from qa.embedding import load_embedder  # noqa: E402
from qa.indexing import unit_texts  # noqa: E402


class ReusingEmbedder:
    """The real embedder, answering from the old index's vectors where it can."""

    def __init__(self, old: Path) -> None:
        self.real = load_embedder()
        self.name, self.dim, self.weights = self.real.name, self.real.dim, self.real.weights
        self.dtype = getattr(self.real, "dtype", "float32")
        gen = store.read(old)
        self.known = dict(zip(unit_texts(gen.documents, gen.chunks), gen.vectors))
        self.embedded = 0

    def encode(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        missing = [t for t in texts if t not in self.known]
        if missing:
            self.known.update(zip(missing, self.real.encode(missing)))
            self.embedded += len(missing)
        return np.stack([self.known[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from", dest="old", type=Path, required=True)
    ap.add_argument("--articles", type=Path, required=True)
    ap.add_argument("--index", type=Path, required=True)
    args = ap.parse_args()
    embedder = ReusingEmbedder(args.old)
    s = qa.build_index(args.articles, args.index, embedder=embedder, progress=True)
    print(f"{s.files} files, {s.chunks} chunks in {s.seconds:.1f} s; {embedder.embedded} sentences embedded anew")


if __name__ == "__main__":
    main()
