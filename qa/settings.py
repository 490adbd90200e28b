"""One frozen set of settings with defaults. Explicit arguments beat the environment variables
(``QA_ARTICLES``, ``QA_INDEX``, ``QA_EMBED_BACKEND``, ``QA_EMBED_DTYPE``, ``QA_EMBED_THREADS``,
``QA_MODEL_CACHE``, ``QA_READER``), which
only fill in what is not given."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from qa.errors import BadInputError

# Bumped whenever the on-disk layout or what goes into it changes; loading refuses other versions.
SCHEMA_VERSION = 3  # 2: BM25 indexes each chunk with its article's title; 3: BM25 terms in one spelling (qa.spelling)
# Bumped whenever reading, metadata or boilerplate rules change the stored text or spans.
READER_VERSION = 2  # 2: HTML through html.parser (no comments), cp1252/UTF-16 decoding

# The models and tokenizers this code can run, by the names settings and manifests use (the first is
# the default; qa/embedding.py says what each is).
QA_MODEL = "all-MiniLM-L6-v2-qa"  # fine-tuned, shipped in qa/models/
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"  # the official weights
MODELS = (QA_MODEL, MODEL_NAME)
TOKENIZERS = ("cl100k_base",)
EMBED_DTYPES = ("auto", "float32", "bfloat16")
EMBED_BACKENDS = ("auto", "torch", "onnx")


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise BadInputError(f"{name} must be a whole number, not {value[:20]!r}") from None


def _bool_env(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if not value:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise BadInputError(f"{name} must be 1 or 0, not {value[:20]!r}")


def _cache_dir() -> Path:
    """Where derived model files (the ONNX export) are kept: QA_MODEL_CACHE, else the user cache."""
    if value := os.environ.get("QA_MODEL_CACHE"):
        return Path(value)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qa"


def _choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise BadInputError(f"{name} must be one of {', '.join(repr(a) for a in allowed)}, not {value!r}")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything that shapes an index or an answer. Index-shaping fields are checked on load."""

    articles_dir: Path = field(default_factory=lambda: Path(_env("QA_ARTICLES", "articles")))
    index_dir: Path = field(default_factory=lambda: Path(_env("QA_INDEX", "index")))

    # Index-shaping: recorded in the manifest and compared on load.
    model_name: str = MODELS[0]
    tokenizer: str = TOKENIZERS[0]
    # 200/40 measured best on COVID-QA dev (bench/retrieval_study.py): hit@5 0.850 against 0.823
    # for 128/32; 200/80 gave 0.848. Larger chunks would exceed the model's limit more often.
    chunk_tokens: int = 200
    chunk_overlap: int = 40
    model_max_tokens: int = 256  # all-MiniLM-L6-v2's limit in WordPiece tokens, [CLS] and [SEP] included

    # How the model runs. Every backend computes the same vectors from the same weights (cosine
    # 1.0000 for ONNX Runtime, 0.999 for bfloat16), so an index built with one is used with another.
    # "auto": ONNX Runtime (fp32) when it is installed and the model exports, else torch.
    embed_backend: str = field(default_factory=lambda: _env("QA_EMBED_BACKEND", "auto"))
    # torch only: "auto" picks bfloat16 where the CPU does it natively, else float32.
    embed_dtype: str = field(default_factory=lambda: _env("QA_EMBED_DTYPE", "auto"))
    # CPU threads one embedder uses; 0: as many as the machine has (up to 8). A Ray worker sets its share.
    embed_threads: int = field(default_factory=lambda: _int_env("QA_EMBED_THREADS", 0))
    # Where the ONNX export of the weights is cached (keyed by the weights hash and export recipe).
    model_cache: Path = field(default_factory=_cache_dir)

    # Reading limits.
    max_file_bytes: int = 20_000_000

    # Query-time knobs: free to change without a rebuild.
    max_question_chars: int = 2_000
    candidates: int = 50
    # Whether a cross-encoder reads the best sentences to choose the quote (qa/reading.py): better
    # quotes, but the median question slows past the 20 ms target (docs/answers.md, sessions 14 and 15),
    # so off unless asked for.
    reader: bool = field(default_factory=lambda: _bool_env("QA_READER", False))
    history_turns: int = 2

    def __post_init__(self) -> None:
        object.__setattr__(self, "articles_dir", Path(self.articles_dir))
        object.__setattr__(self, "index_dir", Path(self.index_dir))
        object.__setattr__(self, "model_cache", Path(self.model_cache))
        _choice("model_name", self.model_name, MODELS)
        _choice("tokenizer", self.tokenizer, TOKENIZERS)
        _choice("embed_backend (QA_EMBED_BACKEND)", self.embed_backend, EMBED_BACKENDS)
        _choice("embed_dtype (QA_EMBED_DTYPE)", self.embed_dtype, EMBED_DTYPES)
        if self.embed_backend == "onnx" and self.embed_dtype == "bfloat16":
            raise BadInputError("embed_dtype 'bfloat16' needs embed_backend 'torch' or 'auto' "
                                "(the ONNX Runtime backend runs float32)")
        for name, low in [("chunk_tokens", 8), ("model_max_tokens", 8), ("max_file_bytes", 1),
                          ("max_question_chars", 1), ("candidates", 1)]:
            value = getattr(self, name)
            if not isinstance(value, int) or value < low:
                raise BadInputError(f"{name} must be a whole number of at least {low}, not {value!r}")
        if not isinstance(self.chunk_overlap, int) or not 0 <= self.chunk_overlap < self.chunk_tokens:
            raise BadInputError(f"chunk_overlap must be at least 0 and less than chunk_tokens ({self.chunk_tokens}), "
                                f"not {self.chunk_overlap!r}")
        if not isinstance(self.embed_threads, int) or self.embed_threads < 0:
            raise BadInputError(f"embed_threads (QA_EMBED_THREADS) must be a whole number of at least 0, not {self.embed_threads!r}")
        if not isinstance(self.reader, bool):
            raise BadInputError(f"reader must be True or False, not {self.reader!r}")
        if not isinstance(self.history_turns, int) or self.history_turns < 0:
            raise BadInputError(f"history_turns must be a whole number of at least 0, not {self.history_turns!r}")

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
