"""Teams handlers: activities in, the chat core, cards out.

Handlers only translate: every decision is the `ChatBot`'s, every card the renderer's.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from typing import TYPE_CHECKING, Any

from stpbot.chat.commands import Kind, parse_message
from stpbot.chat.replies import Refusal
from stpbot.render import teams as render

if TYPE_CHECKING:
    from microsoft_teams.apps import ActivityContext
    from microsoft_teams.apps.files.incoming_file import IncomingFile

    from stpbot.chat.bot import ChatBot
    from stpbot.chat.replies import ReindexOutcome, ReindexProgress, ReportLearned
    from stpbot.state.memory import EventLog

log = logging.getLogger("stpbot.teams")

# Seconds between edits of the reindex message: Teams throttles a bot's updates.
PROGRESS_SECONDS = 1.5

_TAGS = re.compile(r"<[^>]+>")


def plain_text(text: str | None) -> str:
    """Message text without markup: Teams may send HTML (`<p>`, `&amp;`)."""
    return " ".join(html.unescape(_TAGS.sub(" ", text or "")).split())


def _voter(ctx: ActivityContext[Any]) -> str:
    """The id a vote is stored under (hashed): the AAD object id, else the Teams id."""
    sender = ctx.activity.from_
    return str(getattr(sender, "aad_object_id", None) or sender.id)


def _acting_as(bot: ChatBot, ctx: ActivityContext[Any]) -> str:
    """The sender's id that the admin list names (Teams id or AAD object id), if any."""
    sender = ctx.activity.from_
    ids = [str(i) for i in (getattr(sender, "aad_object_id", None), sender.id) if i]
    return next((i for i in ids if bot.is_admin(i)), ids[0])


def _first_time(seen: EventLog, ctx: ActivityContext[Any]) -> bool:
    activity = ctx.activity
    if not activity.id:
        return True
    return seen.first_time(f"teams:{activity.conversation.id}:{activity.id}")


def on_message(bot: ChatBot) -> Any:
    """The SDK's message handler: each activity answered once, failures told to the user."""

    async def on_message(ctx: ActivityContext[Any]) -> None:
        # Teams sends an activity again, with the same id, when the bot took more
        # than 15 seconds over it (a first question while the model loads, a busy
        # host): it is answered once.
        if not await asyncio.to_thread(_first_time, bot.events, ctx):
            log.info("ignoring a redelivered activity")
            return
        try:
            if isinstance(ctx.activity.value, dict) and "stp" in ctx.activity.value:
                await _card_action(bot, ctx, ctx.activity.value)
            else:
                await _message(bot, ctx)
        except Exception as exc:
            # Logged by kind only: activities carry user text.
            log.error("answering failed: %s", type(exc).__name__)
            await say(ctx, render.SOMETHING_WRONG)

    return on_message


async def say(ctx: ActivityContext[Any], text: str) -> None:
    """A line of plain text (never Markdown: it may hold file names or users' words)."""
    from microsoft_teams.api.activities import MessageActivityInput

    await ctx.send(MessageActivityInput(text=text, text_format="plain"))


async def send(ctx: ActivityContext[Any], reply: Any) -> None:
    from microsoft_teams.api.activities import MessageActivityInput
    from microsoft_teams.api.models import Attachment

    content = render.card_for(reply)
    # Plain, not Markdown: the text holds users' and documents' words.
    message = MessageActivityInput(text=render.text_for(reply), text_format="plain")
    if content is not None:
        message = message.add_attachments(
            Attachment(content_type=render.CARD_CONTENT_TYPE, content=content)
        )
    await ctx.send(message)


async def _message(bot: ChatBot, ctx: ActivityContext[Any]) -> None:
    # A report sent in a personal chat (the SDK lists only files it can fetch).
    files = await ctx.files.list()
    if files:
        await _add_report(bot, ctx, files[0])
        return
    activity = ctx.activity.strip_mentions_text()
    command = parse_message(plain_text(activity.text))
    actor = _acting_as(bot, ctx)
    if command.kind is Kind.REINDEX:
        await _reindex(bot, ctx, actor)
        return
    if command.kind is Kind.ASK:
        # In a channel thread, follow-ups carry on from its earlier question.
        conversation = activity.conversation.id
        thread = conversation if ";messageid=" in conversation else None
        reply: Any = await asyncio.to_thread(bot.ask, command.argument, thread)
    else:
        reply = await asyncio.to_thread(bot.run, command, actor)
    await send(ctx, reply)


async def _card_action(bot: ChatBot, ctx: ActivityContext[Any], data: dict[str, Any]) -> None:
    record = str(data.get("record", ""))
    action = data.get("stp")
    user = _voter(ctx)
    if action in ("helpful", "not_helpful"):
        await say(ctx, await asyncio.to_thread(bot.vote_reply, record, user, action == "helpful"))
    elif action == "more":
        await send(ctx, await asyncio.to_thread(bot.more, record))


class _EditedMessage:
    """One message a long job (a rebuild, an added report) edits in place as it goes:
    throttled, and in the order the edits were made, from any thread."""

    def __init__(self, ctx: ActivityContext[Any], activity_id: str) -> None:
        self.ctx = ctx
        self.activity_id = activity_id
        self.loop = asyncio.get_running_loop()
        self._lock = asyncio.Lock()  # asyncio's lock is fair: edits land in the order made
        self._last = 0.0

    @classmethod
    async def post(cls, ctx: ActivityContext[Any], text: str) -> _EditedMessage:
        from microsoft_teams.api.activities import MessageActivityInput

        sent = await ctx.send(MessageActivityInput(text=text, text_format="plain"))
        return cls(ctx, sent.id)

    async def edit(self, text: str) -> None:
        from microsoft_teams.api.activities import MessageActivityInput

        async with self._lock:
            try:
                activity = MessageActivityInput(id=self.activity_id, text=text, text_format="plain")
                await self.ctx.send(activity)
            except Exception as exc:  # an edit that fails is logged; the job goes on
                log.warning("cannot update the message: %s", type(exc).__name__)

    def edit_soon(self, text: str) -> None:
        """`edit`, from the job's own thread."""
        asyncio.run_coroutine_threadsafe(self.edit(text), self.loop)

    def progress(self, step: ReindexProgress) -> None:
        if time.monotonic() - self._last >= PROGRESS_SECONDS:
            self._last = time.monotonic()
            self.edit_soon(render.reindex_progress_text(step))


async def _reindex(bot: ChatBot, ctx: ActivityContext[Any], admin: str) -> None:
    """Rebuild in the background, with one message edited in place as it goes."""
    refusal = bot.reindex_refusal(admin)
    if refusal is not None:
        await say(ctx, refusal.message)
        return
    message = await _EditedMessage.post(ctx, render.reindex_progress_text(None))

    def done(outcome: ReindexOutcome) -> None:
        message.edit_soon(render.reindex_done_text(outcome))

    refused = bot.reindex(admin, message.progress, done)
    if isinstance(refused, Refusal):
        await message.edit(refused.message)


async def _add_report(bot: ChatBot, ctx: ActivityContext[Any], file: IncomingFile) -> None:
    """A report an admin sent the bot in a personal chat: the same checks, reading at
    arm's length and reply as a Slack upload. Teams' download URL carries its own
    short-lived credential; the SDK sends no token with it and follows only HTTPS."""
    user = _acting_as(bot, ctx)
    name = file.name
    refusal = bot.add_refusal(user, name, 0)  # Teams gives no size: it is checked as read
    if refusal is not None:
        await say(ctx, refusal.message)
        return
    message = await _EditedMessage.post(ctx, render.reading_text(name))
    try:
        data = await _read_capped(file, bot.upload_limit)
    except Exception as exc:  # the SDK raises its own errors, and httpx's
        log.warning("cannot fetch a report sent in Teams: %s", type(exc).__name__)
        await message.edit(render.fetch_failed_text(name))
        return

    if len(data) > bot.upload_limit:
        await message.edit(render.too_large_text(name, bot.upload_limit))
        return

    def done(result: ReportLearned | Refusal) -> None:
        message.edit_soon(render.learned_text(result))

    refused = await asyncio.to_thread(bot.add_report, user, name, data, message.progress, done)
    if refused is not None:
        await message.edit(refused.message)


async def _read_capped(file: IncomingFile, limit: int) -> bytes:
    """The file's bytes, reading at most one byte past `limit` (the core refuses it)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in file.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    return b"".join(chunks)[: limit + 1]
