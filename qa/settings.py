"""One frozen set of settings with defaults, overridable by arguments and a few environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

# Bumped whenever the on-disk layout or what goes into it changes; loading refuses other versions.
SCHEMA_VERSION = 1
# Bumped whenever reading, metadata or boilerplate rules change the stored text or spans.
READER_VERSION = 1


def _env_path(name: str, default: str) -> Path:
    return Path(os.environ.get(name) or default)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything that shapes an index or an answer. Index-shaping fields are checked on load."""

    articles_dir: Path = field(default_factory=lambda: _env_path("QA_ARTICLES", "articles"))
    index_dir: Path = field(default_factory=lambda: _env_path("QA_INDEX", "index"))

    # Index-shaping: recorded in the manifest and compared on load.
    model_name: str = "sentence-transformers/all-MiniLM-L6-v2"
    tokenizer: str = "cl100k_base"
    # 200/40 measured best on COVID-QA dev (bench/retrieval_study.py): hit@5 0.850 against 0.823
    # for 128/32; 200/80 gave 0.848. Larger chunks would exceed the model's limit more often.
    chunk_tokens: int = 200
    chunk_overlap: int = 40
    model_max_tokens: int = 256  # all-MiniLM-L6-v2's limit in WordPiece tokens, [CLS] and [SEP] included

    # Reading limits.
    max_file_bytes: int = 20_000_000

    # Query-time knobs: free to change without a rebuild.
    max_question_chars: int = 2_000
    candidates: int = 50
    history_turns: int = 2

    def index_shape(self) -> dict[str, object]:
        """The settings an index must have been built with to be usable now."""
        return {
            "schema_version": SCHEMA_VERSION,
            "reader_version": READER_VERSION,
            "model": self.model_name,
            "tokenizer": self.tokenizer,
            "chunk_tokens": self.chunk_tokens,
            "chunk_overlap": self.chunk_overlap,
            "model_max_tokens": self.model_max_tokens,
        }
