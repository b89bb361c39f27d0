"""The JSON shapes other tools rely on (see DESIGN.md, "Contracts")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stpbot.answers import Answer, Comparison, Quote, Summary
    from stpbot.documents import Source
    from stpbot.engine import SourceInfo
    from stpbot.glossary import Entry
    from stpbot.topics import Topic


def source_dict(source: Source, locator: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": source.id,
        "title": source.title,
        "publisher": source.publisher,
        "author": source.author,
        "date": source.date,
        "url": source.url,
        "path": source.path,
    }
    if locator is not None:
        data["locator"] = locator
    return data


def quote_dict(quote: Quote) -> dict[str, Any]:
    return {
        "text": quote.text,
        "highlight": quote.highlight_text,
        "score": quote.score,
        "source": source_dict(quote.source, quote.locator),
        # Whose words these are when the document names them before the quote, else null.
        "speaker": quote.speaker,
    }


def answer_dict(answer: Answer) -> dict[str, Any]:
    """`{"question", "answered", "passages": [...]}` exactly as the contract says."""
    return {
        "question": answer.question,
        "answered": answer.answered,
        "passages": [quote_dict(q) for q in answer.quotes],
    }


def summary_dict(summary: Summary) -> dict[str, Any]:
    return {
        "topic": summary.topic,
        "topic_id": summary.topic_id,
        "found": summary.found,
        "sources": [
            {"source": source_dict(g.source), "passages": [quote_dict(q) for q in g.quotes]}
            for g in summary.groups
        ],
    }


def comparison_dict(comparison: Comparison) -> dict[str, Any]:
    return {
        "topic": comparison.topic,
        "topic_id": comparison.topic_id,
        "found": comparison.found,
        "organisations": [
            {"organisation": q.source.organisation, "passage": quote_dict(q)}
            for q in comparison.rows
        ],
    }


def sources_list(infos: list[SourceInfo]) -> list[dict[str, Any]]:
    return [source_dict(i.source) | {"passages": i.passages} for i in infos]


def topics_list(topics: list[Topic]) -> list[dict[str, Any]]:
    return [t.model_dump() for t in topics]


def glossary_list(entries: tuple[Entry, ...]) -> list[dict[str, Any]]:
    return [entry.model_dump() for entry in entries]
