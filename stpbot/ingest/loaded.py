"""What a format loader returns, and the limits every loader works within."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stpbot.ingest.blocks import RawBlock

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """How much one knowledge file may cost to read; a file past any of these is skipped."""

    max_bytes: int = 50 * MB
    max_pages: int = 2000
    parse_seconds: float = 120.0
    parse_memory_mb: int = 2048
    # A .docx is a zip: refuse one that expands past this (a zip bomb in disguise).
    max_unzipped_bytes: int = 512 * MB


@dataclass(slots=True)
class Loaded:
    """Text blocks in reading order, and the metadata the file itself states."""

    blocks: list[RawBlock]
    meta: dict[str, object] = field(default_factory=dict)
    pages: int | None = None
