"""The two ways the bot speaks in Slack, with link unfurling always off."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slack_bolt import Respond
    from slack_sdk import WebClient

Blocks = list[dict[str, Any]]


def private(
    respond: Respond, text: str, blocks: Blocks | None = None, *, replace: bool = False
) -> None:
    """An ephemeral message through the request's response_url; `replace` edits the
    message the request came from (the "Searching…" placeholder)."""
    respond(
        response_type="ephemeral",
        replace_original=replace,
        blocks=blocks,
        text=text,
        unfurl_links=False,
        unfurl_media=False,
    )


def post(
    client: WebClient, channel: str, text: str, blocks: Blocks, thread: str | None = None
) -> None:
    """A public message in a channel or DM, in `thread` if given."""
    client.chat_postMessage(
        channel=channel,
        thread_ts=thread,
        blocks=blocks,
        text=text,
        unfurl_links=False,
        unfurl_media=False,
    )
