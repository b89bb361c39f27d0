"""Mentions in channels, direct messages and the App Home tab."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from stpbot.chat.replies import Refusal
from stpbot.render import slack as render
from stpbot.slack import send
from stpbot.slack.deps import deps_of, plain_text

if TYPE_CHECKING:
    from slack_bolt import App, BoltContext
    from slack_sdk import WebClient

    from stpbot.slack.deps import Deps

log = logging.getLogger("stpbot.slack")

WORKING = "eyes"


def register(app: App) -> None:
    app.event("app_mention")(answer_mention)
    app.event("message")(answer_direct_message)
    app.event("app_home_opened")(publish_home)


def answer_mention(
    body: dict[str, Any], event: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    """`@stpbot question` in a channel: answer in the mention's thread."""
    deps = deps_of(context)
    if not deps.first_delivery(body, event):
        return
    thread = event.get("thread_ts") or event["ts"]
    _answer_in_thread(
        deps, client, event, thread, plain_text(event.get("text", ""), context.bot_user_id)
    )


def answer_direct_message(
    body: dict[str, Any], event: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    """A direct message: answer in the DM (in its thread, if it was sent in one)."""
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return  # edits, deletions, joins, bots (ourselves included) are not questions
    deps = deps_of(context)
    if not deps.first_delivery(body, event):
        return
    _answer_in_thread(
        deps,
        client,
        event,
        event.get("thread_ts"),
        plain_text(event.get("text", ""), context.bot_user_id),
    )


def _answer_in_thread(
    deps: Deps, client: WebClient, event: dict[str, Any], thread: str | None, question: str
) -> None:
    channel, ts, user = event["channel"], event["ts"], event.get("user", "")
    # Only replies inside a thread follow on from it; a new DM starts afresh.
    conversation = f"slack:{channel}:{thread}" if thread else None

    def post(blocks: list[dict[str, Any]], text: str) -> None:
        send.post(client, channel, text, blocks, thread)

    def job() -> None:
        _react(client, "reactions_add", channel, ts)
        try:
            if not question:
                post(render.help_blocks(deps.bot.help(user)), "How to ask stpbot")
                return
            answer = deps.bot.ask(question, conversation=conversation)
            if isinstance(answer, Refusal):
                post(render.refusal_blocks(answer.message), render.fallback_text(answer))
            else:
                post(
                    render.answer_blocks(answer, show_question=False, share=False),
                    render.fallback_text(answer),
                )
        finally:
            _react(client, "reactions_remove", channel, ts)

    deps.submit(
        job, lambda: post(render.refusal_blocks(render.SOMETHING_WRONG), render.SOMETHING_WRONG)
    )


def _react(client: WebClient, method: str, channel: str, ts: str) -> None:
    # The :eyes: sign of work is a courtesy: failing to add or remove it must not cost the answer.
    try:
        getattr(client, method)(channel=channel, timestamp=ts, name=WORKING)
    except Exception as exc:
        log.warning("%s failed: %s", method, type(exc).__name__)


def publish_home(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """The App Home tab: what the bot knows, its topics and how to ask."""
    if event.get("tab") not in (None, "home"):
        return
    deps = deps_of(context)
    user = event["user"]
    view = render.home_view(deps.bot.sources(), deps.bot.is_admin(user))
    client.views_publish(user_id=user, view=view)
