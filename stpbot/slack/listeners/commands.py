"""The `/stp` slash command: private answers with a Share button, and admin reindex."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from stpbot.chat.commands import Kind, parse_command
from stpbot.chat.replies import Refusal
from stpbot.render import slack as render
from stpbot.slack import send
from stpbot.slack.deps import deps_of, plain_text

if TYPE_CHECKING:
    from slack_bolt import Ack, App, BoltContext, Respond
    from slack_sdk import WebClient

    from stpbot.chat.replies import ReindexOutcome
    from stpbot.slack.deps import Deps

log = logging.getLogger("stpbot.slack")

COMMAND = "/stp"
# Slow kinds (they embed a query) are answered after the ack, replacing a placeholder.
SLOW = frozenset({Kind.ASK, Kind.SUMMARY, Kind.COMPARE})


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
        send.private(respond, render.fallback_text(reply), blocks, replace=True)

    deps.submit(job, lambda: send.private(respond, render.SOMETHING_WRONG, replace=True))


def _reindex(
    deps: Deps, *, ack: Ack, respond: Respond, client: WebClient, user: str, channel: str
) -> None:
    """Start a background rebuild and keep one message up to date with its progress."""
    refusal = deps.bot.reindex_refusal(user)
    if refusal is not None:
        ack(
            response_type="ephemeral",
            blocks=render.refusal_blocks(refusal.message),
            text=refusal.message,
        )
        return
    ack(response_type="ephemeral", text="Rebuilding the index; I will post its progress here.")
    message = send.ProgressMessage(client)

    def done(outcome: ReindexOutcome) -> None:
        text = render.reindex_done_text(outcome)
        try:
            if message.where:
                message.update(text)
            else:
                send.private(respond, text)
        except Exception as exc:
            log.error("could not report the rebuild: %s", type(exc).__name__)

    # Posted before the build starts, so no update can miss it; in the command's
    # channel, or the admin's DM if the bot is not a member there.
    message.post(render.reindex_progress_text(None), channel, user)
    refusal = deps.bot.reindex(user, message.progress, done)
    if refusal is not None:  # another admin started one a moment ago
        message.update(":raised_hand: " + refusal.message)
