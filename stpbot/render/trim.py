"""Trim long quotes at sentence boundaries, keeping the sentence that matched."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

_SENTENCE_END = re.compile(r"(?<=[.!?…”’\"')])\s+(?=\S)")


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def fit_quote(
    text: str, highlight: tuple[int, int], limit: int, measure: Callable[[str], int] = len
) -> tuple[str, tuple[int, int]]:
    """Trim a quote to at most `limit` (as `measure` counts) at sentence boundaries,
    keeping the highlighted sentence; "…" marks what was cut."""
    if measure(text) <= limit:
        return text, highlight
    a, b = highlight
    spans = _sentences(text)
    keep = [i for i, (s, e) in enumerate(spans) if s < b and e > a] or [0]
    lo, hi = keep[0], keep[-1]

    def cost(i: int, j: int) -> int:
        return measure(text[spans[i][0] : spans[j][1]]) + 4

    if cost(lo, hi) > limit:
        # One sentence longer than the limit: cut it at a word.
        s, e = spans[lo]
        cut = text[s:e]
        while measure(cut) > limit - 2 and " " in cut:
            cut = cut.rsplit(" ", 1)[0]
        cut = cut[: max(1, limit - 2)]
        prefix = "…" if s > 0 else ""
        return prefix + cut + "…", (len(prefix), len(prefix) + len(cut))
    grew = True
    while grew:
        grew = False
        if hi + 1 < len(spans) and cost(lo, hi + 1) <= limit:
            hi, grew = hi + 1, True
        if lo > 0 and cost(lo - 1, hi) <= limit:
            lo, grew = lo - 1, True
    start, end = spans[lo][0], spans[hi][1]
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - start
    a2, b2 = max(a, start) + shift, min(b, end) + shift
    return prefix + text[start:end] + suffix, (a2, b2)


def cut(text: str, limit: int) -> str:
    """`text` cut at a word to at most `limit` characters, "…" marking the cut."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if " " in head[limit // 2 :]:
        head = head.rsplit(" ", 1)[0]
    return head + "…"
