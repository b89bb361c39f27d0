"""The one plain line that says what a reply holds, for notifications and screen readers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stpbot.wording import counted, definition_title, no_definition, short

if TYPE_CHECKING:
    from stpbot.chat.replies import Reply


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
            return f"Nothing in the briefings on: {short(reply.answer.question)}"
        quotes = "1 quote" if count == 1 else f"{count} quotes"
        return f"{quotes} from the briefings on: {short(reply.answer.question)}"
    if isinstance(reply, SummaryReply):
        return f"What the briefings say on: {short(reply.summary.topic)}"
    if isinstance(reply, ComparisonReply):
        return f"Each organisation's view on: {short(reply.comparison.topic)}"
    if isinstance(reply, TopicsReply):
        return f"The {counted(len(reply.topics), 'topic')} the briefings cover"
    if isinstance(reply, SourcesReply):
        return f"The {counted(len(reply.sources), 'document')} the briefings come from"
    if isinstance(reply, DefinitionReply):
        # Short enough to be the whole reply.
        entry = reply.entry
        if entry is None:
            return short(no_definition(reply.asked, reply.terms), 300)
        return short(f"{definition_title(entry)}: {entry.means}", 300)
    if isinstance(reply, HelpReply):
        return "How to ask me about the STP briefings"
    return short(reply.message, 300)  # a Refusal
