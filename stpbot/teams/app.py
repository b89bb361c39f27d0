"""The Teams app factory and its handlers: activities in, the chat core, cards out.

Handlers only translate: every decision is the `ChatBot`'s, every card the renderer's.
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import re
from typing import TYPE_CHECKING, Any

from stpbot.chat.commands import Kind, parse_message
from stpbot.chat.memory import SeenEvents
from stpbot.chat.replies import Refusal
from stpbot.render import teams as render

if TYPE_CHECKING:
    from fastapi import FastAPI
    from microsoft_teams.apps import ActivityContext, App

    from stpbot.chat.bot import ChatBot
    from stpbot.chat.memory import EventLog
    from stpbot.chat.replies import ReindexOutcome

log = logging.getLogger("stpbot.teams")

SDK_CREDENTIAL_VARIABLES = ("CLIENT_ID", "CLIENT_SECRET", "TENANT_ID", "MANAGED_IDENTITY_CLIENT_ID")
BOT_FRAMEWORK_METADATA = "https://login.botframework.com/v1/.well-known/openidconfiguration"
_TAGS = re.compile(r"<[^>]+>")


def plain_text(text: str | None) -> str:
    """Message text without markup: Teams may send HTML (`<p>`, `&amp;`)."""
    return " ".join(html.unescape(_TAGS.sub(" ", text or "")).split())


def create_app(
    bot: ChatBot,
    *,
    app_id: str | None,
    app_password: str | None,
    tenant_id: str | None,
    allow_unauthenticated: bool,
    openid_metadata_url: str = BOT_FRAMEWORK_METADATA,
    seen: EventLog | None = None,
    token: Any = None,
) -> tuple[App, FastAPI]:
    """The Teams app and the FastAPI app that serves `/api/messages` and `/healthz`.

    `seen` remembers the activities handled (in this process unless given);
    `token` (an SDK token provider) stands in for Entra ID in tests on loopback.
    """
    from fastapi import FastAPI
    from microsoft_teams.api.auth.cloud_environment import PUBLIC, with_overrides
    from microsoft_teams.apps import App, FastAPIAdapter

    # Our STPBOT_TEAMS_* settings are the only configuration: the SDK would otherwise
    # fall back to CLIENT_ID / CLIENT_SECRET / TENANT_ID from the environment (and from
    # a .env it loads on import), so a stray variable could change who the bot is.
    for name in SDK_CREDENTIAL_VARIABLES:
        if os.environ.pop(name, None) is not None:
            log.warning("ignoring %s from the environment; set STPBOT_TEAMS_* instead", name)
    web = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    options: dict[str, Any] = {
        "client_id": app_id,
        "tenant_id": tenant_id,
        # Always explicit: the SDK would otherwise read it from the environment.
        "dangerously_allow_unauthenticated_requests": allow_unauthenticated,
        "cloud": with_overrides(PUBLIC, openid_metadata_url=openid_metadata_url),
        "http_server_adapter": FastAPIAdapter(app=web),
    }
    if token is not None:
        options["token"] = token
    elif app_password:
        options["client_secret"] = app_password
    app = App(**options)
    app.on_message(_handler(bot, seen or SeenEvents()))

    @web.get("/healthz")
    async def healthz() -> dict[str, Any]:
        manifest = bot.live.engine.index.manifest
        return {
            "status": "ok",
            "documents": len(manifest.documents),
            "reindexing": bot.live.reindexing,
        }

    return app, web


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


def _handler(bot: ChatBot, seen: EventLog) -> Any:
    async def on_message(ctx: ActivityContext[Any]) -> None:
        # Teams sends an activity again, with the same id, when the bot took more
        # than 15 seconds over it (a first question while the model loads, a busy
        # host): it is answered once.
        if not await asyncio.to_thread(_first_time, seen, ctx):
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
            await ctx.send(render.SOMETHING_WRONG)

    return on_message


async def send(ctx: ActivityContext[Any], reply: Any) -> None:
    from microsoft_teams.api.activities import MessageActivityInput
    from microsoft_teams.api.models import Attachment

    content = render.card_for(reply)
    text = render.text_for(reply)
    if content is None:
        await ctx.send(text)
        return
    message = MessageActivityInput(text=text or None).add_attachments(
        Attachment(content_type=render.CARD_CONTENT_TYPE, content=content)
    )
    await ctx.send(message)


async def _message(bot: ChatBot, ctx: ActivityContext[Any]) -> None:
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
        known = await asyncio.to_thread(bot.vote, record, user, action == "helpful")
        text = (
            (
                "Thanks, glad it helped."
                if action == "helpful"
                else "Thanks for saying; this helps us improve the bot."
            )
            if known
            else "That answer has expired; your vote was not recorded."
        )
        await ctx.send(text)
    elif action == "more":
        await send(ctx, await asyncio.to_thread(bot.more, record))


async def _reindex(bot: ChatBot, ctx: ActivityContext[Any], admin: str) -> None:
    refusal = bot.reindex_refusal(admin)
    if refusal is not None:
        await ctx.send(refusal.message)
        return
    loop = asyncio.get_running_loop()

    def done(outcome: ReindexOutcome) -> None:
        text = render.reindex_done_text(outcome)
        asyncio.run_coroutine_threadsafe(ctx.send(text), loop)

    await ctx.send("Rebuilding the index from the knowledge folder; I will say when it is done.")
    refused = bot.reindex(admin, lambda progress: None, done)
    if isinstance(refused, Refusal):
        await ctx.send(refused.message)
