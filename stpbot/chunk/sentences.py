"""Sentence spans of a paragraph, by pysbd, in time that grows with its length.

pysbd's rules are good on reports' abbreviations ("Dr.", "p.m.", "U.S."), but its
time grows with the square of a text's length: 0.55 s for 24,000 characters, 43 s
for 250,000 (a plain-text file with no blank lines is one paragraph). Long
paragraphs are therefore read in overlapping windows, each cut where pysbd found a
boundary with plenty of text after it, so every boundary kept was decided with the
words around it. What a window cannot see is a quotation mark thousands of
characters away, which pysbd would pair with one nearby and so run many
sentences into one.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache
from typing import Any

Span = tuple[int, int]

# Characters pysbd reads at once: its time grows with the square of a text's length,
# so long texts are read in windows; nearly all paragraphs are shorter, read whole.
WINDOW = 4_000
# A boundary is kept only with this much of the window after it: pysbd looks at
# the words that follow a full stop. The rest is read again in the next window.
MARGIN = 500

_TRAILING_SPACE = re.compile(r"\s*")


def locate(text: str, sentences: list[str]) -> list[Span]:
    """Where each of pysbd's sentences lies in `text`, trailing whitespace included.

    pysbd finds them with a regex compiled for every sentence, which pushes its own
    rules out of Python's regex cache: a third of its time. A plain search gives
    the same spans: each sentence's first occurrence ending past the one before.
    """
    spans: list[Span] = []
    prior = 0
    for sentence in sentences:
        at = text.find(sentence, max(0, prior - len(sentence)))
        while at != -1:
            match = _TRAILING_SPACE.match(text, at + len(sentence))
            end = match.end() if match else at + len(sentence)
            if end > prior:
                spans.append((at, end))
                prior = end
                break
            at = text.find(sentence, at + 1)
    return spans


@lru_cache(maxsize=1)
def _segmenter() -> Any:
    import pysbd
    from pysbd.utils import TextSpan

    class Segmenter(pysbd.Segmenter):  # type: ignore[misc]
        def sentences_with_char_spans(self, sentences: list[str]) -> list[TextSpan]:
            text = self.original_text
            return [TextSpan(text[a:b], a, b) for a, b in locate(text, sentences)]

    return Segmenter(language="en", clean=False, char_span=True)


def pysbd_spans(text: str) -> list[Span]:
    """pysbd's sentence spans of `text` read whole, trailing whitespace included."""
    return [(span.start, span.end) for span in _segmenter().segment(text)]


def _windowed(text: str) -> list[Span]:
    """pysbd's spans of `text`, read at most `WINDOW` characters at a time."""
    spans: list[Span] = []
    start = 0
    while len(text) - start > WINDOW:
        window = text[start : start + WINDOW]
        found = pysbd_spans(window)
        if len(found) > 1:
            # The last sentence may run on past the window; a boundary close to the
            # window's end is decided again, with what follows it, next time.
            kept = [s for s in found[:-1] if s[1] <= WINDOW - MARGIN] or found[:1]
        else:
            # No boundary in 4,000 characters (a table or list flattened into one
            # line): cut it at a space, as no sentence runs that long.
            cut = window.rfind(" ", 0, WINDOW - MARGIN) + 1 or WINDOW - MARGIN
            kept = [(0, cut)]
        spans.extend((start + a, start + b) for a, b in kept)
        start += kept[-1][1]
    spans.extend((start + a, start + b) for a, b in pysbd_spans(text[start:]))
    return spans


_GLUED = re.compile(r"(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])")


def split_sentences(text: str) -> list[Span]:
    """Sentence spans of `text`, trimmed of surrounding whitespace, covering all of it."""
    spans: list[Span] = []
    for start, end in _windowed(text):
        # Copy-pasted web text glues sentences ("plans.Whilst"); split them too.
        cuts = [start] + [start + m.start() for m in _GLUED.finditer(text[start:end])] + [end]
        for raw_start, raw_end in itertools.pairwise(cuts):
            piece = text[raw_start:raw_end]
            a = raw_start + len(piece) - len(piece.lstrip())
            b = raw_end - (len(piece) - len(piece.rstrip()))
            if a < b:
                spans.append((a, b))
    return spans
