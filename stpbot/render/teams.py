"""Teams Adaptive Cards for every reply: pure functions, data in, card dicts out.

Document text goes into RichTextBlock TextRuns, which Teams shows as plain text:
no Markdown, no mentions, no links but the ones built here for source URLs. Each
field is cut to a budget, and a card stops adding rows before Teams' message size
limit, saying how many it left out. The cards are Adaptive Cards 1.5, the highest
version Teams renders; the tests validate every element with the Teams SDK's own
typed card models.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from stpbot import wording
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
from stpbot.defaults import MB
from stpbot.render.attribution import attribution_parts
from stpbot.render.notification import notification
from stpbot.render.reindex import progress_line, reindex_lines
from stpbot.render.trim import cut, fit_quote

if TYPE_CHECKING:
    from stpbot.answers import Quote
    from stpbot.chat.replies import ReindexOutcome, ReindexProgress, Reply, ReportLearned
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
# A card's JSON as UTF-16 (how the limit is counted), leaving room for the activity.
CARD_BYTES = 24_000
TITLE_BUDGET = 300
PART_BUDGET = 150


def card(body: list[Element], actions: list[Element] | None = None) -> Card:
    content: Card = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": body,
        "msteams": {"width": "full"},
    }
    if actions:
        content["actions"] = actions
    return content


def _run(text: str, **style: Any) -> Element:
    return {"type": "TextRun", "text": text, **style}


def _rich(*runs: Element) -> Element:
    """A RichTextBlock of the runs that hold text: it shows them as written, nothing in
    them is parsed (an empty run is dropped: Teams draws nothing for it but a gap)."""
    return {"type": "RichTextBlock", "inlines": [r for r in runs if r["text"]]}


def _text(text: str, **style: Any) -> Element:
    return _rich(_run(text, **style))


def _heading(label: str, text: str) -> Element:
    return _rich(_run(f"{label} ", weight="Bolder"), _run(cut(text, 500)))


def size(content: Card) -> int:
    """A card's size as Teams counts it: its JSON in UTF-16."""
    return len(json.dumps(content, ensure_ascii=False).encode("utf-16-le"))


def quote_block(quote: Quote, number: int | None = None) -> Element:
    """A quote in an accented container, its best sentence in bold."""
    text, (a, b) = fit_quote(quote.text, quote.highlight, QUOTE_LIMIT)
    runs = [_run(f"{number}. ", weight="Bolder")] if number is not None else []
    runs += [_run("“" + text[:a]), _run(text[a:b], weight="Bolder"), _run(text[b:] + "”")]
    return {
        "type": "Container",
        "style": "emphasis",
        "items": [_rich(*runs), source_line(quote.source, quote.locator, quote.speaker)],
    }


def source_line(source: Source, locator: str | None = None, speaker: str | None = None) -> Element:
    """Who speaks (when the quote is someone's words), then title (a link when the
    source has a URL), organisation, author, date, locator."""
    parts = attribution_parts(source, None)
    title = _run(cut(parts[0], TITLE_BUDGET), weight="Bolder", isSubtle=True)
    if source.url:
        title["selectAction"] = {"type": "Action.OpenUrl", "url": source.url}
    rest = [cut(part, PART_BUDGET) for part in parts[1:]] + ([locator] if locator else [])
    runs = [title, _run("".join(f" · {p}" for p in rest), isSubtle=True, size="Small")]
    if speaker:
        runs.insert(0, _run(f"{wording.quoted_in(cut(speaker, PART_BUDGET))} ", isSubtle=True))
    return _rich(*runs)


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
        body.append(_text(wording.topics_hint(names, "“summary <topic>”")))
    return body


def answer_card(reply: AnswerReply, show_question: bool = True) -> Card:
    body: list[Element] = []
    if show_question:
        body.append(
            _heading("More passages for:" if reply.offset else "You asked:", reply.answer.question)
        )
    if not reply.answer.answered:
        if reply.offset:
            return card([*body, _text(wording.NO_MORE)])
        return card([*body, *not_found(reply.topics)])
    for i, quote in enumerate(reply.answer.quotes, start=reply.offset + 1):
        body.append(quote_block(quote, i))
    return card(body, _buttons(reply.record_id, reply.has_more))


def summary_card(reply: SummaryReply) -> Card:
    body = [_heading("Summary:", reply.summary.topic)]
    if not reply.summary.found:
        return card([*body, *not_found(reply.topics)])
    quotes = [q for group in reply.summary.groups for q in group.quotes]
    body.extend(quote_block(q) for q in quotes[:MAX_ROWS])
    if len(quotes) > MAX_ROWS:
        body.append(_text(wording.more_left(len(quotes) - MAX_ROWS) + " quotes", isSubtle=True))
    return card(body, _buttons(reply.record_id, more=False))


def comparison_card(reply: ComparisonReply) -> Card:
    body = [_heading("Compare:", reply.comparison.topic)]
    if not reply.comparison.found:
        return card([*body, *not_found(reply.topics)])
    rows = reply.comparison.rows
    for quote in rows[:MAX_ROWS]:
        body.append(_text(cut(quote.source.organisation, PART_BUDGET), weight="Bolder"))
        body.append(quote_block(quote))
    if len(rows) > MAX_ROWS:
        body.append(_text(wording.more_left(len(rows) - MAX_ROWS), isSubtle=True))
    return card(body, _buttons(reply.record_id, more=False))


def topics_card(topics: tuple[Topic, ...]) -> Card:
    body = [_text("Topics the briefings cover", weight="Bolder", size="Medium")]
    body += [_heading(f"{cut(t.name, PART_BUDGET)} ({t.id}):", t.description) for t in topics]
    return card(body)


def sources_card(reply: SourcesReply) -> Card:
    """The documents, as many as fit one Teams message, then how many more there are."""
    header = (
        f"The briefings I quote from ({wording.counted(len(reply.sources), 'document')}, "
        f"{wording.counted(reply.passages, 'passage')}; index {wording.built_ago(reply.built_at)})"
    )
    body = [_text(header, weight="Bolder")]
    used = size(card(body)) + 400  # room for the closing line
    shown = 0
    for info in reply.sources:
        line = source_line(info.source)
        line["inlines"].append(
            _run(f" ({wording.counted(info.passages, 'passage')})", isSubtle=True)
        )
        cost = size(card([line])) - size(card([]))
        if used + cost > CARD_BYTES:
            break
        body.append(line)
        used += cost
        shown += 1
    if shown < len(reply.sources):
        left = wording.more_left(len(reply.sources) - shown)
        body.append(_text(f"{left} (too many for one Teams message).", isSubtle=True))
    return card(body)


def help_text(reply: HelpReply) -> str:
    lines = []
    if reply.unknown:
        lines.append(f"I don't know the command “{reply.unknown[:50]}”.")
    if reply.incomplete:
        lines.append(f"“{reply.incomplete.value}” needs {NEEDED[reply.incomplete]} after it.")
    lines.append(wording.HELP_INTRO)
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
        return card([_text(wording.no_definition(reply.asked, reply.terms))])
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
    return notification(reply)


def reading_text(name: str) -> str:
    return f"Reading {cut(name, PART_BUDGET)} and adding it to the briefings…"


def fetch_failed_text(name: str) -> str:
    return f"I could not fetch {cut(name, PART_BUDGET)} from Teams; please send it again."


def too_large_text(name: str, limit: int) -> str:
    return (
        f"{cut(name, PART_BUDGET)} is over the {limit / MB:,.0f} MB limit, so nothing was changed."
    )


def learned_text(result: ReportLearned | Refusal) -> str:
    """What the bot learned from a report sent to it, with a question to try."""
    if isinstance(result, Refusal):
        return result.message
    counts = wording.report_counts(result.pages, result.passages)
    return (
        f"{wording.report_verb(result.replaced)} “{cut(result.title, TITLE_BUDGET)}” "
        f"({cut(result.name, PART_BUDGET)}: {counts}). {wording.TRY_ASKING} "
        f"{cut(result.sample_question, 500)}"
    )


def reindex_progress_text(progress: ReindexProgress | None) -> str:
    """The reindex message while the rebuild runs."""
    return progress_line(progress)


def reindex_done_text(outcome: ReindexOutcome) -> str:
    """What a finished rebuild did, as one message."""
    _, headline, details = reindex_lines(outcome)
    return "\n".join([headline, *details])
