"""What a format loader returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stpbot.ingest.blocks import RawBlock


@dataclass(slots=True)
class Loaded:
    """Text blocks in reading order, and the metadata the file itself states."""

    blocks: list[RawBlock]
    meta: dict[str, object] = field(default_factory=dict)
    pages: int | None = None
