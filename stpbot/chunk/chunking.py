"""Split documents into quotable passages: whole sentences from one paragraph."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stpbot.chunk.sentences import Span, split_sentences
from stpbot.chunk.speakers import speakers

if TYPE_CHECKING:
    from collections.abc import Iterator

    from stpbot.documents import Block, Document

# Bumped whenever passage boundaries change, so old indexes count as stale. Not
# bumped when paragraphs over 4,000 characters came to be read in windows: that
# changes only some of their sentences (where pysbd had run one on to a quotation
# mark thousands of characters later), and every index would have had to be
# embedded again for it; their old passages stay valid quotes until the file changes.
# 2: passages carry the speaker of a quote that runs on from a paragraph naming them.
# 3: passages of a paragraph, up to five sentences.
CHUNKER_VERSION = "3"

# A passage is a paragraph, or an even part of a long one. A reworded question often
# matches one sentence while its answer is the next ("This approach has some
# advantages. ... For managers, it also holds the prospect of ..."), so the sentences
# of one thought stay together; the renderer bolds the sentence that matched. Chosen by
# cross-validation over the shared question sets among 3 to 8 sentences
# (docs/benchmarks.md, "Passage size").
MAX_SENTENCES = 5
TARGET_CHARS = 640
BLOCK_SEPARATOR = "\n\n"


@dataclass(frozen=True, slots=True)
class Passage:
    """A quotable run of sentences with where it came from.

    `start`/`end` index the document's clean text (its paragraphs joined by a blank
    line); `sentences` are (start, end) offsets into `text`.
    """

    id: str
    doc_id: str
    text: str
    start: int
    end: int
    paragraph: int
    heading: str | None
    sentences: tuple[tuple[int, int], ...]
    page: int | None = None
    # Whose words these are, when the paragraph quotes someone it does not name
    # (a quote running on from "Sir Bruce said: ‘...", or "He added: ...").
    speaker: str | None = None

    @property
    def locator(self) -> str:
        """Where a reader finds the passage: "p. 12" in a paged document, else "para 7"."""
        return f"p. {self.page}" if self.page is not None else f"para {self.paragraph}"

    @property
    def spoken(self) -> str:
        """Its words with its speaker's name before them: what keyword and name search
        read, so "What did Sir Bruce say?" finds the paragraphs his quote runs on to."""
        return f"{self.speaker}: {self.text}" if self.speaker else self.text

    def sentence_texts(self) -> list[str]:
        return [self.text[a:b] for a, b in self.sentences]


# Sentences that lean on the one before ("It suggests two reasons for this") read
# wrongly alone, so a passage boundary is not put in front of them.
_LEANS_BACK = re.compile(
    r"^[\"'“‘(]*(it|this|these|that|those|they|them|he|she|his|her|its|their|such|so|"
    r"but|and|or|yet|however|therefore|thus|also|then|instead|otherwise)\b",
    re.IGNORECASE,
)


def _split_evenly(spans: list[Span], leans: list[bool], parts: int) -> list[list[Span]]:
    total = spans[-1][1] - spans[0][0]
    groups: list[list[Span]] = [[]]
    cut_due = False
    for span, leans_back in zip(spans, leans, strict=True):
        middle = (span[0] + span[1]) / 2 - spans[0][0]
        # A sentence joins the part its midpoint falls in, so parts come out even.
        if groups[-1] and len(groups) < parts and middle > total * len(groups) / parts:
            cut_due = True
        if cut_due and not (leans_back and len(groups[-1]) < MAX_SENTENCES):
            groups.append([])
            cut_due = False
        groups[-1].append(span)
    return groups


def _group(text: str, spans: list[Span]) -> list[list[Span]]:
    """Cut a paragraph's sentences into the fewest even passages that fit the limits.

    Even parts avoid the orphan a greedy cut leaves ("Be prepared!" on its own).
    """
    if not spans:
        return []
    leans = [bool(_LEANS_BACK.match(text[a:b])) for a, b in spans]
    total = spans[-1][1] - spans[0][0]
    parts = max(math.ceil(total / TARGET_CHARS), math.ceil(len(spans) / MAX_SENTENCES))
    while True:
        groups = _split_evenly(spans, leans, parts)
        if all(len(g) <= MAX_SENTENCES for g in groups) or parts >= len(spans):
            return groups
        parts += 1


def _block_passages(
    doc_id: str, block: Block, offset: int, speaker: str | None
) -> Iterator[Passage]:
    spans = split_sentences(block.text)
    for k, group in enumerate(_group(block.text, spans), start=1):
        a, b = group[0][0], group[-1][1]
        yield Passage(
            id=f"{doc_id}#p{block.number}.{k}",
            doc_id=doc_id,
            text=block.text[a:b],
            start=offset + a,
            end=offset + b,
            paragraph=block.number,
            heading=block.heading,
            sentences=tuple((s - a, e - a) for s, e in group),
            page=block.page,
            speaker=speaker,
        )


def chunk_document(document: Document) -> list[Passage]:
    """All passages of a document, in reading order."""
    passages: list[Passage] = []
    offset = 0
    voices = speakers([block.text for block in document.blocks])
    for block, speaker in zip(document.blocks, voices, strict=True):
        passages.extend(_block_passages(document.id, block, offset, speaker))
        offset += len(block.text) + len(BLOCK_SEPARATOR)
    return passages


def document_text(document: Document) -> str:
    """The clean text that passage spans index into."""
    return BLOCK_SEPARATOR.join(block.text for block in document.blocks)
