"""Teams Adaptive Cards for every reply: pure functions, data in, card dicts out.

Document text goes into RichTextBlock TextRuns, which Teams shows as plain text:
no Markdown, no mentions, no links but the ones built here for source URLs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stpbot.chat.commands import NEEDED, USAGE
from stpbot.chat.replies import (
    AnswerReply,
    ComparisonReply,
    DefinitionReply,
    HelpReply,
    Refusal,
    SourcesReply,
    SummaryReply,
    TopicsReply,
)
from stpbot.render import wording
from stpbot.render.attribution import attribution_parts
from stpbot.render.reindex import reindex_lines
from stpbot.render.trim import fit_quote

if TYPE_CHECKING:
    from stpbot.answers import Quote
    from stpbot.chat.replies import ReindexOutcome, Reply
    from stpbot.documents import Source
    from stpbot.topics import Topic

Card = dict[str, Any]
Element = dict[str, Any]

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
NOT_FOUND = wording.NOT_FOUND
SOMETHING_WRONG = wording.SOMETHING_WRONG
# Teams caps a message at about 28 kB; quotes are trimmed well inside that.
QUOTE_LIMIT = 1500
MAX_ROWS = 12


def card(body: list[Element], actions: list[Element] | None = None) -> Card:
    content: Card = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": body,
        "msteams": {"width": "Full"},
    }
    if actions:
        content["actions"] = actions
    return content


def _text(text: str, **style: Any) -> Element:
    # A RichTextBlock shows its runs as written: nothing in them is parsed.
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": text, **style}]}


def _heading(label: str, text: str) -> Element:
    return {
        "type": "RichTextBlock",
        "inlines": [
            {"type": "TextRun", "text": f"{label} ", "weight": "Bolder"},
            {"type": "TextRun", "text": text},
        ],
    }


def quote_block(quote: Quote, number: int | None = None) -> Element:
    """A quote in an accented container, its best sentence in bold."""
    text, (a, b) = fit_quote(quote.text, quote.highlight, QUOTE_LIMIT)
    runs = []
    if number is not None:
        runs.append({"type": "TextRun", "text": f"{number}. ", "weight": "Bolder"})
    runs += [
        {"type": "TextRun", "text": "“" + text[:a]},
        {"type": "TextRun", "text": text[a:b], "weight": "Bolder"},
        {"type": "TextRun", "text": text[b:] + "”"},
    ]
    return {
        "type": "Container",
        "style": "emphasis",
        "items": [
            {"type": "RichTextBlock", "inlines": runs},
            source_line(quote.source, quote.locator, quote.speaker),
        ],
    }


def source_line(source: Source, locator: str | None = None, speaker: str | None = None) -> Element:
    """Who speaks (when the quote is someone's words), then title (a link when the
    source has a URL), organisation, author, date, locator."""
    parts = attribution_parts(source, locator)
    title: Element = {"type": "TextRun", "text": parts[0], "weight": "Bolder", "isSubtle": True}
    if source.url:
        title["selectAction"] = {"type": "Action.OpenUrl", "url": source.url}
    rest = "".join(f" · {p}" for p in parts[1:])
    inlines = [title, {"type": "TextRun", "text": rest, "isSubtle": True, "size": "Small"}]
    if speaker:
        lead = {"type": "TextRun", "text": f"{wording.quoted_in(speaker)} ", "isSubtle": True}
        inlines.insert(0, lead)
    return {"type": "RichTextBlock", "inlines": inlines}


def _buttons(record_id: str, more: bool) -> list[Element]:
    def submit(title: str, action: str) -> Element:
        return {
            "type": "Action.Submit",
            "title": title,
            "data": {"stp": action, "record": record_id},
        }

    buttons = [submit("👍 Helpful", "helpful"), submit("👎 Not helpful", "not_helpful")]
    if more:
        buttons.append(submit("More passages", "more"))
    return buttons


def not_found(topics: tuple[Topic, ...]) -> list[Element]:
    body = [_text(NOT_FOUND, weight="Bolder")]
    if topics:
        names = ", ".join(t.id for t in topics)
        body.append(
            _text(
                f"They cover these topics: {names}. Try “summary <topic>”, or ask in other words."
            )
        )
    return body


def answer_card(reply: AnswerReply, show_question: bool = True) -> Card:
    body: list[Element] = []
    if show_question:
        body.append(
            _heading("More passages for:" if reply.offset else "You asked:", reply.answer.question)
        )
    if not reply.answer.answered:
        if reply.offset:
            return card([*body, _text("No more passages clear the relevance bar.")])
        return card([*body, *not_found(reply.topics)])
    for i, quote in enumerate(reply.answer.quotes, start=reply.offset + 1):
        body.append(quote_block(quote, i))
    return card(body, _buttons(reply.record_id, reply.has_more))


def summary_card(reply: SummaryReply) -> Card:
    body = [_heading("Summary:", reply.summary.topic)]
    if not reply.summary.found:
        return card([*body, *not_found(reply.topics)])
    for group in reply.summary.groups[:MAX_ROWS]:
        body.extend(quote_block(q) for q in group.quotes)
    return card(body, _buttons(reply.record_id, more=False))


def comparison_card(reply: ComparisonReply) -> Card:
    body = [_heading("Compare:", reply.comparison.topic)]
    if not reply.comparison.found:
        return card([*body, *not_found(reply.topics)])
    for quote in reply.comparison.rows[:MAX_ROWS]:
        body.append(_text(quote.source.organisation, weight="Bolder", size="Medium"))
        body.append(quote_block(quote))
    return card(body, _buttons(reply.record_id, more=False))


def topics_card(topics: tuple[Topic, ...]) -> Card:
    body = [_text("Topics the briefings cover", weight="Bolder", size="Medium")]
    body += [_heading(f"{t.name} ({t.id}):", t.description) for t in topics]
    return card(body)


def sources_card(reply: SourcesReply) -> Card:
    header = (
        f"The briefings I quote from ({len(reply.sources)} documents, {reply.passages} "
        f"passages; index built {reply.built_at})"
    )
    body = [_text(header, weight="Bolder")]
    for info in reply.sources[:100]:
        line = source_line(info.source)
        line["inlines"].append(
            {"type": "TextRun", "text": f" ({info.passages} passages)", "isSubtle": True}
        )
        body.append(line)
    if len(reply.sources) > 100:
        body.append(_text(f"…and {len(reply.sources) - 100} more."))
    return card(body)


def help_text(reply: HelpReply) -> str:
    lines = []
    if reply.unknown:
        lines.append(f"I don't know the command “{reply.unknown[:50]}”.")
    if reply.incomplete:
        lines.append(f"“{reply.incomplete.value}” needs {NEEDED[reply.incomplete]} after it.")
    lines.append("Ask me about the STP briefings: every answer is a quote, with its source.")
    for usage in USAGE:
        if usage.admin and not reply.admin:
            continue
        arg = f" {usage.argument}" if usage.argument else ""
        lines.append(f"• {usage.kind.value}{arg}: {usage.description}")
    lines.append("In a channel, mention me: @stpbot why were councils unhappy?")
    return "\n".join(lines)


def definition_card(reply: DefinitionReply) -> Card:
    """A glossary entry: the term in bold, what it means, its other names."""
    entry = reply.entry
    if entry is None:
        return card([_text(wording.no_definition(reply.asked, reply.terms), wrap=True)])
    body = [_heading(f"{wording.definition_title(entry)}:", entry.means)]
    also = wording.also_called(entry)
    if also:
        body.append(_text(also, isSubtle=True))
    return card(body)


def card_for(reply: Reply) -> Card | None:
    """The card for a reply, or None for replies that are a line of text."""
    if isinstance(reply, AnswerReply):
        return answer_card(reply)
    if isinstance(reply, SummaryReply):
        return summary_card(reply)
    if isinstance(reply, ComparisonReply):
        return comparison_card(reply)
    if isinstance(reply, TopicsReply):
        return topics_card(reply.topics)
    if isinstance(reply, SourcesReply):
        return sources_card(reply)
    if isinstance(reply, DefinitionReply):
        return definition_card(reply)
    return None


def text_for(reply: Reply) -> str:
    """The message text, sent as plain text (never Markdown): the whole reply for help and
    refusals, else a short line for notifications while the card carries the content."""
    if isinstance(reply, HelpReply):
        return help_text(reply)
    if isinstance(reply, Refusal):
        return reply.message
    return wording.notification(reply)


def reindex_done_text(outcome: ReindexOutcome) -> str:
    """What a finished rebuild did, as one message."""
    _, headline, details = reindex_lines(outcome)
    return "\n".join([headline, *details])
