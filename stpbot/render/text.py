"""Terminal rendering with rich: the quote, its highlight in bold, then its source."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table
from rich.text import Text

from stpbot import wording
from stpbot.render.attribution import attribution

if TYPE_CHECKING:
    from rich.console import RenderableType

    from stpbot.answers import Answer, Comparison, Quote, Summary
    from stpbot.engine import SourceInfo
    from stpbot.glossary import Entry
    from stpbot.topics import Topic

NOT_FOUND = wording.NOT_FOUND
# Control characters (ESC and the rest) in a file name or title would reach the
# terminal as commands; they are shown as escapes instead.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` with control characters shown as `\\xNN`, safe to print on a terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _t(text: str, style: str = "") -> Text:
    """Plain text for the terminal: never parsed as markup, control characters shown."""
    return Text(printable(text), style=style)


def quote_text(quote: Quote, number: int | None = None, with_source: bool = True) -> Text:
    """A quote in curly quotes with its best sentence bold, and a dim source line."""
    a, b = quote.highlight
    text = Text()
    text.append(printable(f"{number}. " if number is not None else ""))
    text.append(printable("“" + quote.text[:a]))
    text.append(printable(quote.text[a:b]), style="bold")
    text.append(printable(quote.text[b:] + "”"))
    if with_source:
        indent = "   " if number is not None else ""
        lead = f"{wording.quoted_in(quote.speaker)} " if quote.speaker else ""
        where = attribution(quote.source, quote.locator)
        text.append(printable(f"\n{indent}— {lead}{where}"), style="dim")
    return text


def not_found(topics: list[Topic]) -> Text:
    text = _t(NOT_FOUND, style="yellow")
    if topics:
        names = ", ".join(t.id for t in topics)
        text.append(printable(f"\nThey cover these topics (stpbot topics): {names}"))
    return text


def render_answer(answer: Answer, topics: list[Topic]) -> RenderableType:
    parts: list[RenderableType] = [_t(f"Q: {answer.question}", style="bold cyan")]
    if not answer.answered:
        parts.append(not_found(topics))
    for number, quote in enumerate(answer.quotes, start=1):
        parts.extend([_t(""), quote_text(quote, number)])
    return Group(*parts)


def render_summary(summary: Summary, topics: list[Topic]) -> RenderableType:
    parts: list[RenderableType] = [_t(f"Summary: {summary.topic}", style="bold cyan")]
    if not summary.found:
        parts.append(not_found(topics))
    for group in summary.groups:
        parts.extend([_t(""), _t(attribution(group.source), style="bold")])
        for quote in group.quotes:
            parts.append(quote_text(quote, with_source=False))
            parts.append(_t(f"— {quote.locator}", style="dim"))
    return Group(*parts)


def render_comparison(comparison: Comparison, topics: list[Topic]) -> RenderableType:
    parts: list[RenderableType] = [_t(f"Compare: {comparison.topic}", style="bold cyan")]
    if not comparison.found:
        parts.append(not_found(topics))
    for quote in comparison.rows:
        parts.extend([_t(""), _t(quote.source.organisation, style="bold"), quote_text(quote)])
    return Group(*parts)


def render_topics(topics: list[Topic]) -> RenderableType:
    table = Table("id", "topic", "what it covers", box=None)
    for topic in topics:
        table.add_row(_t(topic.id), _t(topic.name), _t(topic.description))
    return table


def render_sources(infos: list[SourceInfo]) -> RenderableType:
    table = Table("title", "organisation", "author", "date", "passages", "file", box=None)
    for info in infos:
        s = info.source
        cells = [s.title, s.publisher or "", s.author or "", s.date or "", str(info.passages)]
        # Text, not str: a title holding "[/b]" is a title, not markup.
        table.add_row(*(_t(cell) for cell in [*cells, s.path]))
    return table


def render_definition(entry: Entry | None, asked: str, terms: tuple[str, ...]) -> Text:
    """A glossary entry for the terminal, or which terms there are."""
    if entry is None:
        return _t(wording.no_definition(asked, terms))
    text = Text()
    text.append(printable(wording.definition_title(entry)), style="bold")
    text.append(printable(f": {entry.means}"))
    also = wording.also_called(entry)
    if also:
        text.append(printable(f"\n{also}"), style="dim")
    return text


def render_glossary(entries: tuple[Entry, ...]) -> RenderableType:
    """Every glossary term with what it stands for."""
    table = Table("term", "means", box=None)
    for entry in sorted(entries, key=lambda e: e.term.lower()):
        table.add_row(_t(entry.term), _t(entry.stands_for or entry.means))
    return table
