"""The `/stp` slash command: private answers with a Share button, and admin reindex."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from stpbot.commands import Kind, parse_command
from stpbot.render import slack as render
from stpbot.replies import Refusal
from stpbot.slack import replies
from stpbot.slack.deps import deps_of, plain_text

if TYPE_CHECKING:
    from slack_bolt import Ack, App, BoltContext, Respond
    from slack_sdk import WebClient

    from stpbot.host import ReindexOutcome, ReindexProgress
    from stpbot.slack.deps import Deps

log = logging.getLogger("stpbot.slack")

COMMAND = "/stp"
# Slow kinds (they embed a query) are answered after the ack, replacing a placeholder.
SLOW = frozenset({Kind.ASK, Kind.SUMMARY, Kind.COMPARE})
PROGRESS_EVERY = 1.5  # seconds between progress edits of the reindex message


def register(app: App) -> None:
    app.command(COMMAND)(handle_stp)


def handle_stp(
    ack: Ack, command: dict[str, Any], context: BoltContext, respond: Respond, client: WebClient
) -> None:
    """Acknowledge at once; quick subcommands answer in the ack, slow ones after it."""
    deps = deps_of(context)
    user = command.get("user_id", "")
    parsed = parse_command(plain_text(command.get("text", "")))
    if parsed.kind is Kind.REINDEX:
        _reindex(
            deps,
            ack=ack,
            respond=respond,
            client=client,
            user=user,
            channel=command.get("channel_id", ""),
        )
        return
    if parsed.kind not in SLOW:
        reply = deps.bot.run(parsed, user)
        ack(
            response_type="ephemeral",
            blocks=render.blocks_for(reply),
            text=render.fallback_text(reply),
        )
        return
    ack(response_type="ephemeral", text=render.working_text(parsed.argument))

    def job() -> None:
        reply = deps.bot.run(parsed, user)
        share = not isinstance(reply, Refusal)
        blocks = render.blocks_for(reply, share=share)
        replies.private(respond, render.fallback_text(reply), blocks, replace=True)

    deps.submit(job, lambda: replies.private(respond, render.SOMETHING_WRONG, replace=True))


def _reindex(
    deps: Deps, *, ack: Ack, respond: Respond, client: WebClient, user: str, channel: str
) -> None:
    """Start a background rebuild and keep one message up to date with its progress."""
    message: dict[str, str] = {}
    last = [0.0]
    lock = threading.Lock()

    def update(text: str) -> None:
        with lock:
            if not message:
                return
            client.chat_update(channel=message["channel"], ts=message["ts"], text=text, blocks=[])

    def progress(p: ReindexProgress) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY:
            last[0] = now
            try:
                update(render.reindex_progress_text(p))
            except Exception as exc:
                log.warning("progress update failed: %s", type(exc).__name__)

    def done(outcome: ReindexOutcome) -> None:
        text = render.reindex_done_text(outcome)
        try:
            if message:
                update(text)
            else:
                replies.private(respond, text)
        except Exception as exc:
            log.error("could not report the rebuild: %s", type(exc).__name__)

    refusal = deps.bot.reindex_refusal(user)
    if refusal is not None:
        ack(
            response_type="ephemeral",
            blocks=render.refusal_blocks(refusal.message),
            text=refusal.message,
        )
        return
    ack(response_type="ephemeral", text="Rebuilding the index; I will post its progress here.")
    # The progress message exists before the build starts, so no update can miss it.
    message.update(_progress_message(client, channel, user))
    refusal = deps.bot.reindex(user, progress, done)
    if refusal is not None:  # another admin started one a moment ago
        update(":raised_hand: " + refusal.message)


def _progress_message(client: WebClient, channel: str, user: str) -> dict[str, str]:
    """Post the progress message in the command's channel, or the admin's DM if the bot
    cannot post there (not a member of a private channel)."""
    text = render.reindex_progress_text(None)
    for target in (channel, user):
        try:
            posted = client.chat_postMessage(channel=target, text=text)
            return {"channel": str(posted["channel"]), "ts": str(posted["ts"])}
        except Exception as exc:
            log.warning("cannot post the rebuild message there: %s", type(exc).__name__)
    return {}
