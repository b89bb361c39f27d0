"""User-facing errors: one line that says what went wrong and how to fix it."""

from __future__ import annotations


class StpbotError(Exception):
    """A problem the user can fix; frontends show `str(error)` and nothing more."""


class IndexMissingError(StpbotError):
    """No index has been built yet."""


class IndexCorruptError(StpbotError):
    """The index on disk cannot be trusted (bad checksum, truncated or unreadable file)."""


class IndexMismatchError(StpbotError):
    """The index was built with a different embedding model or format."""


class DocumentError(StpbotError):
    """A knowledge file cannot be read or holds no usable text."""


class QuestionError(StpbotError):
    """A question that is empty or too long to search."""
