"""How the bot speaks in Slack: privately, publicly, or in one message it keeps editing.

Link unfurling is always off."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from stpbot.render.slack import reindex_progress_text as render_progress

if TYPE_CHECKING:
    from slack_bolt import Respond
    from slack_sdk import WebClient

    from stpbot.chat.replies import ReindexProgress

log = logging.getLogger("stpbot.slack")

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


class ProgressMessage:
    """One message that a long job (a rebuild, an upload) edits as it goes."""

    EVERY = 1.5  # seconds between progress edits; Slack rate-limits chat.update

    def __init__(self, client: WebClient) -> None:
        self.client = client
        self.where: tuple[str, str] | None = None  # (channel, ts) once posted
        self._lock = threading.Lock()
        self._last = 0.0

    def post(self, text: str, *channels: str) -> bool:
        """Post in the first of `channels` that accepts it (the bot may not be a member)."""
        for channel in channels:
            try:
                posted = self.client.chat_postMessage(channel=channel, text=text)
            except Exception as exc:
                log.warning("cannot post the progress message there: %s", type(exc).__name__)
                continue
            self.where = (str(posted["channel"]), str(posted["ts"]))
            return True
        return False

    def update(self, text: str) -> None:
        with self._lock:
            if self.where is not None:
                channel, ts = self.where
                self.client.chat_update(channel=channel, ts=ts, text=text, blocks=[])

    def progress(self, progress: ReindexProgress) -> None:
        """A throttled progress edit; a failed edit is logged, never fatal."""
        if time.monotonic() - self._last < self.EVERY:
            return
        self._last = time.monotonic()
        try:
            self.update(render_progress(progress))
        except Exception as exc:
            log.warning("progress update failed: %s", type(exc).__name__)
