"""The limits every format loader works within."""

from __future__ import annotations

from dataclasses import dataclass

from stpbot.defaults import MAX_FILE_MB, MAX_PAGES, MB, PARSE_MEMORY_MB, PARSE_SECONDS


@dataclass(frozen=True, slots=True)
class Limits:
    """How much one knowledge file may cost to read; a file past any of these is skipped."""

    max_bytes: int = MAX_FILE_MB * MB
    max_pages: int = MAX_PAGES
    parse_seconds: float = PARSE_SECONDS
    parse_memory_mb: int = PARSE_MEMORY_MB
    # A .docx is a zip: refuse one that expands past this (a zip bomb in disguise).
    max_unzipped_bytes: int = 512 * MB

    @classmethod
    def of(
        cls, *, max_file_mb: float, max_pages: int, parse_seconds: float, parse_memory_mb: int
    ) -> Limits:
        """Limits from the settings' units (megabytes for the file size)."""
        return cls(
            max_bytes=int(max_file_mb * MB),
            max_pages=max_pages,
            parse_seconds=parse_seconds,
            parse_memory_mb=parse_memory_mb,
        )
