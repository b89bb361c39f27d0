"""Buttons on answers: Helpful / Not helpful, More passages, Share in channel."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from stpbot.chat.replies import AnswerReply, Refusal
from stpbot.render import slack as render
from stpbot.slack import send
from stpbot.slack.deps import deps_of

if TYPE_CHECKING:
    from slack_bolt import Ack, App, BoltContext, Respond
    from slack_sdk import WebClient


def register(app: App) -> None:
    app.action(render.HELPFUL)(record_vote)
    app.action(render.NOT_HELPFUL)(record_vote)
    app.action(render.MORE)(show_more)
    app.action(render.SHARE)(share_in_channel)
    # Buttons from an older version of the bot: acknowledge them quietly.
    app.action(re.compile(r"^stp_"))(lambda ack: ack())


def _is_ephemeral(body: dict[str, Any]) -> bool:
    return bool(body.get("container", {}).get("is_ephemeral"))


def record_vote(
    ack: Ack,
    action: dict[str, Any],
    body: dict[str, Any],
    context: BoltContext,
    respond: Respond,
) -> None:
    """Store the vote (a hash of the user id, never the id) and thank the user privately."""
    ack()
    deps = deps_of(context)
    helpful = action["action_id"] == render.HELPFUL
    send.private(respond, deps.bot.vote_reply(action["value"], body["user"]["id"], helpful))


def show_more(
    ack: Ack,
    action: dict[str, Any],
    body: dict[str, Any],
    context: BoltContext,
    respond: Respond,
    client: WebClient,
) -> None:
    """The next passages: privately under a private answer, in the thread under a public one."""
    ack()
    deps = deps_of(context)
    private = _is_ephemeral(body)

    def deliver(blocks: list[dict[str, Any]], text: str) -> None:
        if private:
            send.private(respond, text, blocks)
            return
        message = body.get("message", {})
        thread = message.get("thread_ts") or message.get("ts")
        send.post(client, body["channel"]["id"], text, blocks, thread)

    def job() -> None:
        reply = deps.bot.more(action["value"])
        if isinstance(reply, AnswerReply):
            blocks = render.answer_blocks(reply, show_question=True, share=private)
        else:
            blocks = render.blocks_for(reply)
        deliver(blocks, render.fallback_text(reply))

    deps.submit(
        job, lambda: deliver(render.refusal_blocks(render.SOMETHING_WRONG), render.SOMETHING_WRONG)
    )


def share_in_channel(
    ack: Ack,
    action: dict[str, Any],
    body: dict[str, Any],
    context: BoltContext,
    respond: Respond,
) -> None:
    """Post a private answer publicly, marked as shared by the user, and drop the private copy."""
    ack()
    deps = deps_of(context)
    user = body["user"]["id"]

    def job() -> None:
        reply = deps.bot.replay(action["value"])
        if isinstance(reply, Refusal):
            send.private(respond, reply.message)
            return
        respond(
            response_type="in_channel",
            delete_original=True,
            blocks=render.blocks_for(reply, shared_by=user),
            text=render.fallback_text(reply),
            unfurl_links=False,
            unfurl_media=False,
        )

    deps.submit(job, lambda: send.private(respond, render.SOMETHING_WRONG))
