"""The errors the library raises: one base class, a few specific kinds."""

from __future__ import annotations


class QAError(Exception):
    """Base class: every error the library raises on purpose. Its message is one line for the user."""


class IndexMissingError(QAError):
    """No index where one was expected."""


class IndexCorruptError(QAError):
    """An index folder exists but cannot be read."""


class IndexMismatchError(QAError):
    """The index was built with other settings (model, tokenizer, chunking, schema)."""


class IndexBusyError(QAError):
    """Another process is writing the same index."""


class BadInputError(QAError):
    """A question, folder or option the library cannot use."""
