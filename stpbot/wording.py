"""Words the bot says, as plain text: the core's refusals and every renderer's phrases.

One home, so Slack, Teams and the terminal say the same thing the same way; each
renderer draws these in its own markup. A leaf: it imports nothing of the bot's
at run time, so the core and the renderers can all use it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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


def short(text: str, limit: int = 120) -> str:
    """`text` cut at a word to at most `limit` characters, with an ellipsis if cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


# The core's replies (chat/bot.py) that are a line of text.
NOT_ADMIN = "Only the bot's admins can rebuild the index. Ask one of them to run it."
NOT_ADMIN_ADD = "Only the bot's admins can add reports. Send the report to one of them."
ADD_HELP = (
    "To add a report (PDF, Word .docx, web page .html, Markdown or text), send it to me in "
    "a direct message (a personal chat in Teams): I read it, add it to the briefings and "
    "say what I learned. Or put it in the knowledge folder and run reindex."
)
# Where the bot takes no uploads, it says only what works there.
ADD_HELP_NO_UPLOADS = (
    "To add a report (PDF, Word .docx, web page .html, Markdown or text), put it in the "
    "bot's knowledge folder and run reindex; I then answer from it."
)
REINDEX_BUSY = "A rebuild is already running; its message will show when it is done."
GONE = "That answer has expired. Please ask the question again."
THANKS = {
    True: "Thanks, glad it helped.",
    False: "Thanks for saying; this helps us improve the bot.",
}
VOTE_EXPIRED = "That answer has expired; your vote was not recorded."
# Help, drawn by each platform in its own markup.
HELP_INTRO = "Ask me about the STP briefings. Every answer is a quote, with its source."


def topics_hint(names: str, summary_command: str) -> str:
    """After "nothing found": what the briefings cover, and what to try."""
    return f"They cover these topics: {names}. Try {summary_command}, or ask in other words."


TRY_ASKING = "I now answer from it; try asking me:"


def report_counts(pages: int | None, passages: int) -> str:
    """What an added report holds: "12 pages, 40 passages"."""
    return (f"{counted(pages, 'page')}, " if pages else "") + counted(passages, "passage")


def report_verb(replaced: bool) -> str:
    return "Updated" if replaced else "Added"
