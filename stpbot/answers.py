"""What the bot says: answers, topic summaries and comparisons, built from quotes.

Every sentence in these objects is verbatim from a document; nothing is generated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stpbot.documents import Source
    from stpbot.retrieve.hits import Hit


@dataclass(frozen=True, slots=True)
class Quote:
    """A verbatim passage, its best-matching sentence and where it comes from."""

    passage_id: str
    text: str
    highlight: tuple[int, int]
    score: float
    source: Source
    locator: str
    speaker: str | None = None  # whose words, when the document names them before

    @property
    def highlight_text(self) -> str:
        a, b = self.highlight
        return self.text[a:b]

    @classmethod
    def from_hit(cls, hit: Hit) -> Quote:
        return cls(
            passage_id=hit.passage.id,
            text=hit.passage.text,
            highlight=hit.highlight,
            score=round(hit.score, 4),
            source=hit.source,
            locator=hit.passage.locator,
            speaker=hit.passage.speaker,
        )


@dataclass(frozen=True, slots=True)
class Answer:
    """The reply to a question: the most relevant quotes, or none."""

    question: str
    quotes: tuple[Quote, ...]

    @property
    def answered(self) -> bool:
        return bool(self.quotes)


@dataclass(frozen=True, slots=True)
class SourceGroup:
    """Quotes from one document, in the order they matched."""

    source: Source
    quotes: tuple[Quote, ...]


@dataclass(frozen=True, slots=True)
class Summary:
    """Diverse quotes on a topic across sources, grouped by source."""

    topic: str
    topic_id: str | None
    groups: tuple[SourceGroup, ...]

    @property
    def found(self) -> bool:
        return bool(self.groups)


@dataclass(frozen=True, slots=True)
class Comparison:
    """What each organisation says on a topic: its single best quote."""

    topic: str
    topic_id: str | None
    rows: tuple[Quote, ...]

    @property
    def found(self) -> bool:
        return bool(self.rows)


def answer_from(question: str, hits: list[Hit]) -> Answer:
    return Answer(question=question, quotes=tuple(Quote.from_hit(h) for h in hits))


def summary_from(topic: str, topic_id: str | None, hits: list[Hit]) -> Summary:
    """Group MMR-selected hits by document, documents in order of their best hit."""
    groups: dict[str, list[Quote]] = {}
    sources: dict[str, Source] = {}
    for hit in hits:
        groups.setdefault(hit.source.id, []).append(Quote.from_hit(hit))
        sources[hit.source.id] = hit.source
    return Summary(
        topic=topic,
        topic_id=topic_id,
        groups=tuple(SourceGroup(sources[i], tuple(q)) for i, q in groups.items()),
    )


def comparison_from(topic: str, topic_id: str | None, hits: list[Hit]) -> Comparison:
    """Keep the best hit per organisation (publisher, else author, else title)."""
    best: dict[str, Quote] = {}
    for hit in hits:
        best.setdefault(hit.source.organisation, Quote.from_hit(hit))
    return Comparison(topic=topic, topic_id=topic_id, rows=tuple(best.values()))
