"""Turn parsed blocks into numbered paragraphs with section headings."""

from __future__ import annotations

import re
from dataclasses import dataclass

from stpbot.documents import Block

_SPACE = re.compile(r"\s+")
# A sentence ends in . ! ? (maybe inside quotes or brackets); "..." trails off instead.
_TERMINAL = re.compile(r"(?<!\.\.)[.!?:;][\"'”’)\]]*$")
_MAX_HEADING_WORDS = 14
# "How can the public sector increase engagement?" alone on a line is a section title.
_QUESTION_HEADING = re.compile(r"^[^.!?]{3,90}\?$")


@dataclass(frozen=True, slots=True)
class RawBlock:
    """A block as a format parser sees it, before headings are recognised."""

    text: str
    is_heading: bool
    page: int | None = None


def normalise_space(text: str) -> str:
    """Collapse runs of whitespace (including non-breaking spaces) to one space."""
    return _SPACE.sub(" ", text.replace("\u00a0", " ")).strip()


def looks_like_heading(text: str) -> bool:
    """Short lines without closing punctuation are titles, bylines, dates or headings."""
    if _QUESTION_HEADING.match(text):
        return True
    return len(text.split()) <= _MAX_HEADING_WORDS and not _TERMINAL.search(text)


def _same(a: str, b: str) -> bool:
    def key(s: str) -> str:
        return re.sub(r"\W+", "", s).lower()

    # "News / Title" breadcrumbs end with the title.
    ka, kb = key(a), key(b)
    return ka == kb or (len(kb) >= 10 and ka.endswith(kb))


def assemble_blocks(raw: list[RawBlock], title: str | None) -> tuple[Block, ...]:
    """Number the prose paragraphs and attach the heading each sits under.

    Short lines before the first paragraph (title, date, byline) are page furniture,
    not section headings, so they are dropped rather than attached, unless the format
    marked them as headings.
    """
    blocks: list[Block] = []
    heading: str | None = None
    for item in raw:
        text = normalise_space(item.text)
        if not text:
            continue
        if item.is_heading or looks_like_heading(text):
            # A heading marked up as one (Markdown, Word styles) counts even before the
            # first paragraph; a merely short line there is a title, date or byline.
            if (blocks or item.is_heading) and not (title and _same(text, title)):
                heading = text
            continue
        blocks.append(Block(text=text, number=len(blocks) + 1, heading=heading, page=item.page))
    return tuple(blocks)


def first_heading(raw: list[RawBlock]) -> str | None:
    """The first heading-like line, used as a title when metadata gives none."""
    for item in raw:
        text = normalise_space(item.text)
        if text and (item.is_heading or looks_like_heading(text)):
            return text
        if text:
            return None
    return None
