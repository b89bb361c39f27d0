"""Plain text to blocks: blank lines part paragraphs, list markers start items."""

from __future__ import annotations

import re

from stpbot.ingest.blocks import RawBlock

_LIST_MARKER = re.compile(r"^\s*(?:\d{1,3}[.)]|[-*•–])\s+")


def parse_plaintext(text: str) -> list[RawBlock]:
    """Split text into paragraphs, re-joining hard-wrapped lines with a space."""
    blocks: list[RawBlock] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            blocks.append(RawBlock(" ".join(current), is_heading=False))
            current.clear()

    for line in text.splitlines():
        if not line.strip():
            flush()
            continue
        marker = _LIST_MARKER.match(line)
        if marker:
            flush()
        current.append(line[marker.end() if marker else 0 :].strip())
    flush()
    return blocks
