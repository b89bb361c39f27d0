"""Slack Block Kit for every reply: pure functions, data in, blocks out.

Quotes go in `rich_text` blocks, which carry the text and its bold highlight apart,
so a quote shows the document's characters exactly as written: `*`, `_`, `:smile:`
and `<!channel>` are just characters there. Other document text (titles,
organisations, the user's question) goes in `verbatim` mrkdwn, escaped (`&`, `<`,
`>`) and with its formatting characters neutralised (`plain`), so no briefing can
ping `@channel`, mention a user, smuggle a link or restyle a line. Every field is
cut to a budget before it is escaped, so the locator always survives and no cut
lands inside an entity. Slack's limits (3000 characters a section, 50 blocks a
message, 100 on App Home) are kept by construction.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote as percent_encoded

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
from stpbot.render.attribution import attribution_parts
from stpbot.render.notification import notification
from stpbot.render.reindex import progress_line, reindex_lines
from stpbot.render.trim import cut, fit_quote

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
# Budgets of the parts of a source line, before escaping: the locator is never cut.
TITLE_BUDGET = 300
PART_BUDGET = 150
QUOTE_LIMIT = 2900
NOT_FOUND = wording.NOT_FOUND
SOMETHING_WRONG = wording.SOMETHING_WRONG
# Characters mrkdwn reads as formatting (and the colons of :emoji:): a zero-width space
# after each keeps it from pairing with the next, and shows nothing.
_FORMATTING = re.compile(r"([*_~`:])")
_ZERO_WIDTH = "\u200b"
SHARE, HELPFUL, NOT_HELPFUL, MORE = "stp_share", "stp_helpful", "stp_not_helpful", "stp_more"


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn gives meaning to."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str) -> str:
    """Text from a document or a user, for mrkdwn, shown as written: escaped, and no
    `*bold*`, `_italic_`, `~strike~`, `code` or `:emoji:` made of its characters."""
    return _FORMATTING.sub(r"\1" + _ZERO_WIDTH, escape(text))


def plain_within(text: str, limit: int) -> str:
    """`plain(text)`, the text cut first (at a word) so that the result fits `limit`:
    escaping lengthens it, and a cut after escaping could split an entity."""
    shown = plain(text)
    if len(shown) <= limit:
        return shown
    low, high = 1, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if len(plain(cut(text, mid))) <= limit:
            low = mid
        else:
            high = mid - 1
    return plain(cut(text, low))


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text[:SECTION_LIMIT], "verbatim": True}


def _section(text: str) -> SlackBlock:
    return {"type": "section", "text": _mrkdwn(text)}


def _context(*texts: str) -> SlackBlock:
    return {"type": "context", "elements": [_mrkdwn(t) for t in texts[:10]]}


def quote_block(
    text: str, highlight: tuple[int, int], number: int | None = None, limit: int = QUOTE_LIMIT
) -> SlackBlock:
    """A quote as a rich-text block quote: the document's characters as written, its
    best sentence in bold, an optional number, within `limit` characters."""
    text, (a, b) = fit_quote(text, highlight, limit)
    head, mid, tail = text[:a], text[a:b], text[b:]
    # Bold stops at the words: spaces at the edges of the sentence stay plain.
    lead = mid[: len(mid) - len(mid.lstrip())]
    trail = mid[len(mid.rstrip()) :]
    pieces: list[tuple[str, bool]] = []
    if number is not None:
        pieces.append((f"{number}. ", True))
    pieces += [(head + lead, False), (mid.strip(), True), (trail + tail, False)]
    elements = [
        {"type": "text", "text": part, **({"style": {"bold": True}} if bold else {})}
        for part, bold in pieces
        if part
    ]
    return {"type": "rich_text", "elements": [{"type": "rich_text_quote", "elements": elements}]}


def _link(url: str, label: str) -> str:
    # Inside <url|label> neither may hold "|" or ">": the URL is percent-encoded there
    # (it stays the same address), the label shows a broken bar instead.
    safe = percent_encoded(url, safe="/:?#[]@!$&'()*+,;=%~")
    return f"<{escape(safe)}|{plain(label).replace('|', '¦')}>"


def source_line(source: Source, locator: str | None = None, speaker: str | None = None) -> str:
    """Who speaks (when the quote is someone's words), then title (a link when the
    source has a URL), organisation, author, date, locator; each part cut to its
    budget, so the line fits a context element and the locator is always there."""
    parts = attribution_parts(source, None)
    title = cut(parts[0], TITLE_BUDGET)
    shown = _link(source.url, title) if source.url else plain(title)
    rest = [plain(cut(part, PART_BUDGET)) for part in parts[1:]]
    if locator:
        rest.append(plain(locator))
    line = " · ".join(["*" + shown + "*", *rest])
    if speaker:
        line = f"{plain(wording.quoted_in(cut(speaker, PART_BUDGET)))} {line}"
    return line


def _quote_blocks(
    quote: Quote, number: int | None = None, with_source: bool = True
) -> list[SlackBlock]:
    blocks = [quote_block(quote.text, quote.highlight, number)]
    if with_source:
        blocks.append(_context(source_line(quote.source, quote.locator, quote.speaker)))
    else:
        where = (
            f"{cut(quote.speaker, PART_BUDGET)} · {quote.locator}"
            if quote.speaker
            else quote.locator
        )
        blocks.append(_context(plain(where)))
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
    return _section(f"*{label}* {plain_within(text, SECTION_LIMIT - len(label) - 4)}")


def not_found_blocks(topics: tuple[Topic, ...]) -> list[SlackBlock]:
    blocks = [_section(f":mag: {NOT_FOUND}")]
    if topics:
        names = ", ".join(f"`{escape(t.id)}`" for t in topics)
        blocks.append(_context(wording.topics_hint(names, "`/stp summary &lt;topic&gt;`")))
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
            return [*blocks, _section(wording.NO_MORE)]
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
    room = MESSAGE_BLOCKS - 4  # the heading, a note of what was left out, the buttons
    left = 0
    for group in summary.groups:
        if room < 3:
            left += len(group.quotes)
            continue
        blocks.append(_context(source_line(group.source)))
        room -= 1
        for quote in group.quotes:
            if room < 2:
                left += 1
                continue
            blocks.extend(_quote_blocks(quote, with_source=False))
            room -= 2
    if left:
        blocks.append(_context(escape(wording.more_left(left)) + " quotes; ask for fewer topics"))
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
    most = (MESSAGE_BLOCKS - 4) // 3
    for quote in comparison.rows[:most]:
        blocks.append(_section(f"*{plain(cut(quote.source.organisation, PART_BUDGET))}*"))
        blocks.append(quote_block(quote.text, quote.highlight))
        blocks.append(_context(source_line(quote.source, quote.locator, quote.speaker)))
    if len(comparison.rows) > most:
        blocks.append(_context(escape(wording.more_left(len(comparison.rows) - most))))
    if shared_by:
        blocks.append(_context(f"Shared by <@{escape(shared_by)}>"))
    blocks.append(_actions(reply.record_id, share=share, more=False))
    return blocks


def topics_blocks(topics: tuple[Topic, ...]) -> list[SlackBlock]:
    lines = [f"• *{plain(t.name)}* (`{escape(t.id)}`): {plain(t.description)}" for t in topics]
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
                blocks.append(_context(escape(wording.more_left(len(lines) - n)) + "."))
                return blocks
        current = f"{current}\n{line}" if current else line
    if current:
        blocks.append(_section(current))
    return blocks


def _source_lines(reply: SourcesReply) -> list[str]:
    return [
        f"• {source_line(info.source)} ({wording.counted(info.passages, 'passage')})"
        for info in reply.sources
    ]


def sources_blocks(reply: SourcesReply) -> list[SlackBlock]:
    header = (
        f"*The briefings I quote from* ({wording.counted(len(reply.sources), 'document')}, "
        f"{wording.counted(reply.passages, 'passage')}; index "
        f"{escape(wording.built_ago(reply.built_at))})"
    )
    return [_section(header), *_chunked(_source_lines(reply), MESSAGE_BLOCKS - 1)]


def help_text(reply: HelpReply) -> str:
    lines = []
    if reply.unknown:
        lines.append(f"I don't know the command `{escape(reply.unknown[:50])}`.")
    if reply.incomplete:
        lines.append(f"`/stp {reply.incomplete.value}` needs {NEEDED[reply.incomplete]} after it.")
    lines.append(escape(wording.HELP_INTRO))
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
    return [_section(f":raised_hand: {plain_within(message, SECTION_LIMIT - 20)}")]


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
    """The plain `text` of a message: what notifications and screen readers show (a
    line saying what the reply holds; the blocks carry the quotes)."""
    return plain_within(notification(reply), FALLBACK_LIMIT)


def working_text(question: str) -> str:
    return f":hourglass_flowing_sand: Searching the briefings for “{plain(cut(question, 200))}”…"


def reindex_progress_text(progress: ReindexProgress | None) -> str:
    return f":hammer_and_wrench: {progress_line(progress)}"


def reindex_done_text(outcome: ReindexOutcome) -> str:
    """The summary that replaces the progress message when a rebuild ends."""
    ok, headline, details = reindex_lines(outcome)
    mark = ":white_check_mark:" if ok else ":warning:"
    lines = [f"{mark} {escape(headline)}", *(escape(line) for line in details)]
    return "\n".join(lines)[:SECTION_LIMIT]


def reading_text(name: str) -> str:
    return (
        f":page_facing_up: Reading {plain(cut(name, PART_BUDGET))} and adding it to the briefings…"
    )


def learned_text(result: ReportLearned | Refusal) -> str:
    """What the bot learned from an uploaded report, with a question to try."""
    if isinstance(result, Refusal):
        return f":warning: {escape(result.message)}"
    counts = wording.report_counts(result.pages, result.passages)
    return (
        f":books: {wording.report_verb(result.replaced)} "
        f"*{plain(cut(result.title, TITLE_BUDGET))}* "
        f"({plain(cut(result.name, PART_BUDGET))}: {counts}). {wording.TRY_ASKING}\n"
        f"> {plain(cut(result.sample_question, 500))}"
    )


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
            f"*What I know* ({wording.counted(len(reply.sources), 'document')}, "
            f"{wording.counted(reply.passages, 'passage')}; index "
            f"{escape(wording.built_ago(reply.built_at))})"
        ),
    ]
    topics = [f"• *{plain(t.name)}* (`{escape(t.id)}`)" for t in reply.topics]
    sources = _chunked(_source_lines(reply), (HOME_BLOCKS - len(blocks) - 6) // 2)
    blocks.extend(sources)
    blocks.append({"type": "divider"})
    blocks.append(_section("*Topics*"))
    blocks.extend(_chunked(topics, HOME_BLOCKS - len(blocks)))
    return {"type": "home", "blocks": blocks[:HOME_BLOCKS]}
