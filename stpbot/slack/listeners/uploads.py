"""An admin adds a report by uploading it to the bot in a direct message."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from stpbot.chat.replies import Refusal
from stpbot.render import slack as render
from stpbot.slack import send
from stpbot.slack.deps import deps_of
from stpbot.slack.files import DownloadError, download

if TYPE_CHECKING:
    from slack_bolt import App, BoltContext
    from slack_sdk import WebClient

    from stpbot.chat.replies import ReportLearned

log = logging.getLogger("stpbot.slack")


def register(app: App) -> None:
    app.event({"type": "message", "subtype": "file_share"})(add_shared_report)


def add_shared_report(
    body: dict[str, Any], event: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    """Download the shared file, add it to the briefings and say what was learned."""
    if event.get("channel_type") != "im" or event.get("bot_id") or not event.get("files"):
        return
    deps = deps_of(context)
    if not deps.first_delivery(body, event):
        return
    channel, user = event["channel"], event.get("user", "")
    shared = event["files"][0]
    name, size = str(shared.get("name") or "report"), int(shared.get("size") or 0)

    def say(text: str) -> None:
        # The file name is the uploader's: the notification text is escaped as well.
        send.post(client, channel, render.fallback_text(Refusal(text)), render.refusal_blocks(text))

    refusal = deps.bot.add_refusal(user, name, size)
    if refusal is not None:
        say(refusal.message)
        return
    token = context.bot_token or client.token or ""
    message = send.ProgressMessage(client)
    message.post(render.reading_text(name), channel)

    def done(result: ReportLearned | Refusal) -> None:
        try:
            message.update(render.learned_text(result))
        except Exception as exc:
            log.error("could not report the new report: %s", type(exc).__name__)

    def job() -> None:
        url = str(shared.get("url_private_download") or shared.get("url_private") or "")
        limit = size + 1 if size else 50 * 1024 * 1024
        try:
            data = download(url, token, deps.file_hosts, limit)
        except DownloadError as exc:
            message.update(
                f":warning: I could not fetch {render.plain(name)}: {render.escape(str(exc))}."
            )
            return
        refused = deps.bot.add_report(user, name, data, message.progress, done)
        if refused is not None:
            message.update(":raised_hand: " + render.plain(refused.message))

    deps.submit(job, lambda: message.update(render.SOMETHING_WRONG))
