"""Slack Block Kit for every reply: pure functions, data in, blocks out.

Document text is escaped for mrkdwn (`&`, `<`, `>`) and sent in `verbatim` text
objects, so no briefing can ping `@channel`, mention a user or smuggle a link.
Slack's limits (3000 characters a section, 50 blocks a message, 100 on App
Home) are kept by construction.
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
    from stpbot.chat.replies import ReindexOutcome, ReindexProgress, Reply, ReportLearned
    from stpbot.documents import Source
    from stpbot.topics import Topic

SlackBlock = dict[str, Any]

SECTION_LIMIT = 3000
MESSAGE_BLOCKS = 50
HOME_BLOCKS = 100
BUTTON_TEXT = 75
FALLBACK_LIMIT = 3000
NOT_FOUND = "I could not find this in the briefings."
SOMETHING_WRONG = "Sorry, something went wrong while answering. Please try again in a moment."
SHARE, HELPFUL, NOT_HELPFUL, MORE = "stp_share", "stp_helpful", "stp_not_helpful", "stp_more"


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn gives meaning to."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text[:SECTION_LIMIT], "verbatim": True}


def _section(text: str) -> SlackBlock:
    return {"type": "section", "text": _mrkdwn(text)}


def _context(*texts: str) -> SlackBlock:
    return {"type": "context", "elements": [_mrkdwn(t) for t in texts[:10]]}


def quote_mrkdwn(text: str, highlight: tuple[int, int], limit: int = SECTION_LIMIT - 10) -> str:
    """A block quote with its best sentence in bold, escaped and within `limit`."""
    text, (a, b) = fit_quote(text, highlight, limit - 4, lambda t: len(escape(t)))
    head, mid, tail = text[:a], text[a:b], text[b:]
    core = mid.strip()
    if core and "*" not in core:
        # Bold needs its asterisks against the words: move edge spaces outside them.
        lead = mid[: len(mid) - len(mid.lstrip())]
        trail = mid[len(mid.rstrip()) :]
        body = escape(head) + lead + "*" + escape(core) + "*" + trail + escape(tail)
    else:
        body = escape(text)
    return "> " + body


def _link(url: str, label: str) -> str:
    # Inside <url|label> the label may not hold "|" or ">"; escaping covers ">".
    return f"<{escape(url)}|{escape(label).replace('|', '¦')}>"


def source_line(source: Source, locator: str | None = None, speaker: str | None = None) -> str:
    """Who speaks (when the quote is someone's words), then title (a link when the
    source has a URL), organisation, author, date, locator."""
    parts = attribution_parts(source, locator)
    title = _link(source.url, parts[0]) if source.url else escape(parts[0])
    line = " · ".join(["*" + title + "*", *(escape(p) for p in parts[1:])])
    return f"{escape(wording.quoted_in(speaker))} {line}" if speaker else line


def _quote_blocks(
    quote: Quote, number: int | None = None, with_source: bool = True
) -> list[SlackBlock]:
    text = quote_mrkdwn(quote.text, quote.highlight)
    if number is not None:
        text = f"*{number}.*\n{text}"
    blocks = [_section(text)]
    if with_source:
        blocks.append(_context(source_line(quote.source, quote.locator, quote.speaker)))
    else:
        where = f"{quote.speaker} · {quote.locator}" if quote.speaker else quote.locator
        blocks.append(_context(escape(where)))
    return blocks


def _button(text: str, action_id: str, value: str, style: str | None = None) -> SlackBlock:
    button: SlackBlock = {
        "type": "button",
        "text": {"type": "plain_text", "text": text[:BUTTON_TEXT], "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _actions(record_id: str, *, share: bool, more: bool) -> SlackBlock:
    elements = [
        _button("👍 Helpful", HELPFUL, record_id),
        _button("👎 Not helpful", NOT_HELPFUL, record_id),
    ]
    if more:
        elements.append(_button("More passages", MORE, record_id))
    if share:
        elements.append(_button("Share in channel", SHARE, record_id, "primary"))
    return {"type": "actions", "block_id": f"stp_actions_{record_id}", "elements": elements}


def _heading(label: str, text: str) -> SlackBlock:
    return _section(f"*{label}* {escape(text)}"[:SECTION_LIMIT])


def not_found_blocks(topics: tuple[Topic, ...]) -> list[SlackBlock]:
    blocks = [_section(f":mag: {NOT_FOUND}")]
    if topics:
        names = ", ".join(f"`{escape(t.id)}`" for t in topics)
        blocks.append(
            _context(
                f"They cover these topics: {names}. Try `/stp summary <topic>`, "
                "or ask in other words."
            )
        )
    return blocks


def answer_blocks(
    reply: AnswerReply, *, show_question: bool, share: bool, shared_by: str | None = None
) -> list[SlackBlock]:
    """An answer: optional question line, numbered quotes with sources, then buttons."""
    blocks: list[SlackBlock] = []
    if show_question:
        label = "More passages for:" if reply.offset else "You asked:"
        blocks.append(_heading(label, reply.answer.question))
    if not reply.answer.answered:
        if reply.offset:
            return [*blocks, _section("No more passages clear the relevance bar.")]
        return [*blocks, *not_found_blocks(reply.topics)]
    for i, quote in enumerate(reply.answer.quotes, start=reply.offset + 1):
        blocks.extend(_quote_blocks(quote, i))
    if shared_by:
        blocks.append(_context(f"Shared by <@{escape(shared_by)}>"))
    blocks.append(_actions(reply.record_id, share=share, more=reply.has_more))
    return blocks[:MESSAGE_BLOCKS]


def summary_blocks(
    reply: SummaryReply, *, share: bool, shared_by: str | None = None
) -> list[SlackBlock]:
    """A topic summary: quotes grouped under each source."""
    summary = reply.summary
    blocks = [_heading("Summary:", summary.topic)]
    if not summary.found:
        return [*blocks, *not_found_blocks(reply.topics)]
    room = MESSAGE_BLOCKS - 3
    for group in summary.groups:
        if room < 3:
            break
        blocks.append(_context(source_line(group.source)))
        room -= 1
        for quote in group.quotes:
            if room < 2:
                break
            blocks.extend(_quote_blocks(quote, with_source=False))
            room -= 2
    if shared_by:
        blocks.append(_context(f"Shared by <@{escape(shared_by)}>"))
    blocks.append(_actions(reply.record_id, share=share, more=False))
    return blocks


def comparison_blocks(
    reply: ComparisonReply, *, share: bool, shared_by: str | None = None
) -> list[SlackBlock]:
    """Each organisation's best quote on a topic."""
    comparison = reply.comparison
    blocks = [_heading("Compare:", comparison.topic)]
    if not comparison.found:
        return [*blocks, *not_found_blocks(reply.topics)]
    rows = comparison.rows[: (MESSAGE_BLOCKS - 3) // 2]
    for quote in rows:
        org = escape(quote.source.organisation)
        text = f"*{org}*\n" + quote_mrkdwn(
            quote.text, quote.highlight, SECTION_LIMIT - len(org) - 10
        )
        blocks.append(_section(text))
        blocks.append(_context(source_line(quote.source, quote.locator, quote.speaker)))
    if shared_by:
        blocks.append(_context(f"Shared by <@{escape(shared_by)}>"))
    blocks.append(_actions(reply.record_id, share=share, more=False))
    return blocks


def topics_blocks(topics: tuple[Topic, ...]) -> list[SlackBlock]:
    lines = [f"• *{escape(t.name)}* (`{escape(t.id)}`): {escape(t.description)}" for t in topics]
    return [_section("*Topics the briefings cover*"), *_chunked(lines, MESSAGE_BLOCKS - 2)]


def _chunked(lines: list[str], max_blocks: int) -> list[SlackBlock]:
    """Pack lines into at most `max_blocks` sections, the last saying how many were left out."""
    blocks: list[SlackBlock] = []
    current = ""
    for n, full_line in enumerate(lines):
        line = full_line[: SECTION_LIMIT - 100]
        if current and len(current) + len(line) + 1 > SECTION_LIMIT - 100:
            blocks.append(_section(current))
            current = ""
            if len(blocks) >= max_blocks - 1:  # room for the note only
                blocks.append(_context(f"…and {len(lines) - n} more."))
                return blocks
        current = f"{current}\n{line}" if current else line
    if current:
        blocks.append(_section(current))
    return blocks


def _source_lines(reply: SourcesReply) -> list[str]:
    return [f"• {source_line(info.source)} ({info.passages} passages)" for info in reply.sources]


def sources_blocks(reply: SourcesReply) -> list[SlackBlock]:
    header = (
        f"*The briefings I quote from* ({len(reply.sources)} documents, "
        f"{reply.passages} passages; index built {escape(reply.built_at)})"
    )
    return [_section(header), *_chunked(_source_lines(reply), MESSAGE_BLOCKS - 1)]


def help_text(reply: HelpReply) -> str:
    lines = []
    if reply.unknown:
        lines.append(f"I don't know the command `{escape(reply.unknown[:50])}`.")
    if reply.incomplete:
        lines.append(f"`/stp {reply.incomplete.value}` needs {NEEDED[reply.incomplete]} after it.")
    lines.append("*Ask me about the STP briefings.* Every answer is a quote, with its source.")
    for usage in USAGE:
        if usage.admin and not reply.admin:
            continue
        arg = f" {escape(usage.argument)}" if usage.argument else ""
        lines.append(f"• `/stp {usage.kind.value}{arg}`: {usage.description}")
    lines.append("You can also mention me in a channel (`@stpbot why were councils unhappy?`),")
    lines.append("or send me a direct message. Replies in a thread follow on from its question.")
    return "\n".join(lines)


def help_blocks(reply: HelpReply) -> list[SlackBlock]:
    return [_section(help_text(reply))]


def refusal_blocks(message: str) -> list[SlackBlock]:
    return [_section(f":raised_hand: {escape(message)}")]


def definition_blocks(reply: DefinitionReply) -> list[SlackBlock]:
    """A glossary entry: the term in bold, what it means, its other names."""
    entry = reply.entry
    if entry is None:
        return [_section(escape(wording.no_definition(reply.asked, reply.terms)))]
    blocks = [_section(f"*{escape(wording.definition_title(entry))}*: {escape(entry.means)}")]
    also = wording.also_called(entry)
    if also:
        blocks.append(_context(escape(also)))
    return blocks


def blocks_for(
    reply: Reply, *, share: bool = False, shared_by: str | None = None
) -> list[SlackBlock]:
    """Blocks for any reply to a command; `share` adds the Share in channel button."""
    if isinstance(reply, AnswerReply):
        return answer_blocks(reply, show_question=True, share=share, shared_by=shared_by)
    if isinstance(reply, SummaryReply):
        return summary_blocks(reply, share=share, shared_by=shared_by)
    if isinstance(reply, ComparisonReply):
        return comparison_blocks(reply, share=share, shared_by=shared_by)
    if isinstance(reply, TopicsReply):
        return topics_blocks(reply.topics)
    if isinstance(reply, SourcesReply):
        return sources_blocks(reply)
    if isinstance(reply, DefinitionReply):
        return definition_blocks(reply)
    if isinstance(reply, HelpReply):
        return help_blocks(reply)
    if isinstance(reply, Refusal):
        return refusal_blocks(reply.message)
    raise TypeError(f"no Slack rendering for {type(reply).__name__}")


def fallback_text(reply: Reply) -> str:
    """The plain `text` of a message: what notifications and screen readers show."""
    if isinstance(reply, AnswerReply):
        quotes = reply.answer.quotes
        text = f"“{quotes[0].text}”" if quotes else NOT_FOUND
    elif isinstance(reply, SummaryReply):
        text = f"Summary: {reply.summary.topic}"
    elif isinstance(reply, ComparisonReply):
        text = f"Compare: {reply.comparison.topic}"
    elif isinstance(reply, Refusal):
        text = reply.message
    elif isinstance(reply, DefinitionReply):
        entry = reply.entry
        text = (
            f"{wording.definition_title(entry)}: {entry.means}"
            if entry
            else wording.no_definition(reply.asked, reply.terms)
        )
    else:
        text = "stpbot"
    return escape(text)[:FALLBACK_LIMIT]


def working_text(question: str) -> str:
    return f":hourglass_flowing_sand: Searching the briefings for “{escape(question[:200])}”…"


def reindex_progress_text(progress: ReindexProgress | None) -> str:
    if progress is None or progress.total == 0:
        return ":hammer_and_wrench: Rebuilding the index from the knowledge folder…"
    return (
        f":hammer_and_wrench: Rebuilding the index: {progress.done}/{progress.total} "
        f"passage views embedded ({progress.fraction:.0%})."
    )


def reindex_done_text(outcome: ReindexOutcome) -> str:
    """The summary that replaces the progress message when a rebuild ends."""
    ok, headline, details = reindex_lines(outcome)
    mark = ":white_check_mark:" if ok else ":warning:"
    lines = [f"{mark} {escape(headline)}", *(escape(line) for line in details)]
    return "\n".join(lines)[:SECTION_LIMIT]


def reading_text(name: str) -> str:
    return f":page_facing_up: Reading {escape(name)} and adding it to the briefings…"


def learned_text(result: ReportLearned | Refusal) -> str:
    """What the bot learned from an uploaded report, with a question to try."""
    if isinstance(result, Refusal):
        return f":warning: {escape(result.message)}"
    pages = f"{result.pages} pages, " if result.pages else ""
    verb = "Updated" if result.replaced else "Added"
    return (
        f":books: {verb} *{escape(result.title)}* ({escape(result.name)}: {pages}"
        f"{result.passages} passages). I now answer from it; try asking me:\n"
        f"> {escape(result.sample_question)}"
    )[:SECTION_LIMIT]


def home_view(reply: SourcesReply, admin: bool) -> dict[str, Any]:
    """The App Home tab: what the bot knows, its topics, and how to ask."""
    blocks: list[SlackBlock] = [
        {"type": "header", "text": {"type": "plain_text", "text": "STP briefings bot"}},
        _section(
            "I answer questions about NHS Sustainability and Transformation Plans and public "
            "engagement by *quoting* the briefings below, each quote with its source. "
            "I never write answers of my own."
        ),
        {"type": "divider"},
        _section(help_text(HelpReply(None, admin))),
        {"type": "divider"},
        _section(
            f"*What I know* ({len(reply.sources)} documents, {reply.passages} passages; "
            f"index built {escape(reply.built_at)})"
        ),
    ]
    topics = [f"• *{escape(t.name)}* (`{escape(t.id)}`)" for t in reply.topics]
    sources = _chunked(_source_lines(reply), (HOME_BLOCKS - len(blocks) - 6) // 2)
    blocks.extend(sources)
    blocks.append({"type": "divider"})
    blocks.append(_section("*Topics*"))
    blocks.extend(_chunked(topics, HOME_BLOCKS - len(blocks)))
    return {"type": "home", "blocks": blocks[:HOME_BLOCKS]}
