"""Words the bot says, as plain text every renderer draws in its own markup.

One home, so Slack, Teams and the terminal say the same thing the same way.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stpbot.chat.replies import Reply
    from stpbot.glossary import Entry

# How many of the glossary's terms a "no entry" reply lists.
TERMS_LISTED = 60

NOT_FOUND = "I could not find this in the briefings."
SOMETHING_WRONG = "Sorry, something went wrong while answering. Please try again in a moment."
NO_MORE = "No more passages clear the relevance bar."


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """ "1 passage", "2 passages", "1,200 passages"."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def more_left(count: int) -> str:
    """What closes a list cut short: "…and 3 more"."""
    return f"…and {count:,} more"


def shown_date(value: str | None) -> str | None:
    """A document's date as people write it ("14 Nov 2016"); other text as it is."""
    if not value:
        return value
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        return value
    return f"{day.day} {day:%b %Y}"


def built_ago(built_at: str, now: datetime | None = None) -> str:
    """When an index was built, relative when recent: "built 2 minutes ago",
    "built on 14 Nov 2026"."""
    try:
        when = datetime.fromisoformat(built_at)
    except ValueError:
        return f"built {built_at}"
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = ((now or datetime.now(UTC)) - when).total_seconds()
    if seconds < 0:
        return f"built on {shown_date(when.date().isoformat())}"
    if seconds < 90:
        return "built just now"
    if seconds < 3600:
        return f"built {counted(round(seconds / 60), 'minute')} ago"
    if seconds < 2 * 86400:
        return f"built {counted(round(seconds / 3600), 'hour')} ago"
    return f"built on {shown_date(when.date().isoformat())}"


def quoted_in(speaker: str) -> str:
    """The lead-in of a source line whose quote is someone's words: "Sir Bruce, quoted in"."""
    return f"{speaker}, quoted in"


def definition_title(entry: Entry) -> str:
    """The term, with what it stands for: "CCG (clinical commissioning group)"."""
    return f"{entry.term} ({entry.stands_for})" if entry.stands_for else entry.term


def also_called(entry: Entry) -> str | None:
    """Its synonyms, as a sentence, or None."""
    return f"Also called: {', '.join(entry.also)}." if entry.also else None


def no_definition(asked: str, terms: tuple[str, ...]) -> str:
    """Why there is no entry, and which terms there are."""
    if not terms:
        return f"There is no glossary to look “{asked}” up in (knowledge/glossary.yaml)."
    listed = ", ".join(terms[:TERMS_LISTED])
    more = f" and {len(terms) - TERMS_LISTED} more" if len(terms) > TERMS_LISTED else ""
    return f"The glossary has no entry for “{asked}”. It defines: {listed}{more}."


def _short(text: str, limit: int = 120) -> str:
    """`text` cut at a word to at most `limit` characters, with an ellipsis if cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def notification(reply: Reply) -> str:
    """One plain line saying what a reply holds, for notifications and screen readers;
    the reply's own blocks or card carry the quotes."""
    from stpbot.chat.replies import (
        AnswerReply,
        ComparisonReply,
        DefinitionReply,
        HelpReply,
        SourcesReply,
        SummaryReply,
        TopicsReply,
    )

    if isinstance(reply, AnswerReply):
        count = len(reply.answer.quotes)
        if not count:
            return f"Nothing in the briefings on: {_short(reply.answer.question)}"
        quotes = "1 quote" if count == 1 else f"{count} quotes"
        return f"{quotes} from the briefings on: {_short(reply.answer.question)}"
    if isinstance(reply, SummaryReply):
        return f"What the briefings say on: {_short(reply.summary.topic)}"
    if isinstance(reply, ComparisonReply):
        return f"Each organisation's view on: {_short(reply.comparison.topic)}"
    if isinstance(reply, TopicsReply):
        return f"The {counted(len(reply.topics), 'topic')} the briefings cover"
    if isinstance(reply, SourcesReply):
        return f"The {counted(len(reply.sources), 'document')} the briefings come from"
    if isinstance(reply, DefinitionReply):
        # Short enough to be the whole reply.
        entry = reply.entry
        if entry is None:
            return _short(no_definition(reply.asked, reply.terms), 300)
        return _short(f"{definition_title(entry)}: {entry.means}", 300)
    if isinstance(reply, HelpReply):
        return "How to ask me about the STP briefings"
    return _short(reply.message, 300)  # a Refusal
