"""What every Slack listener needs, put in Bolt's `context` by one middleware."""

from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from stpbot.chat.memory import EventLog, SeenEvents

if TYPE_CHECKING:
    from collections.abc import Callable

    from slack_bolt import BoltContext

    from stpbot.chat.bot import ChatBot

log = logging.getLogger("stpbot.slack")

# Answering embeds a question (CPU) and calls Slack (network): a few workers keep
# both busy on two cores; the queue in front of them absorbs bursts after the ack.
ANSWER_WORKERS = 4


@dataclass
class Deps:
    """The bot, the answer workers and the memory of events already answered."""

    bot: ChatBot
    # Hosts the bot token may be sent to when downloading an uploaded report.
    file_hosts: frozenset[str] = frozenset({"files.slack.com"})
    workers: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(ANSWER_WORKERS, thread_name_prefix="stp-answer")
    )
    seen: EventLog = field(default_factory=SeenEvents)

    def first_delivery(self, body: dict[str, Any], event: dict[str, Any]) -> bool:
        """False for an event Slack redelivers (same event_id) after it was handled."""
        return self.seen.first_time(body.get("event_id") or event["ts"])

    def submit(self, job: Callable[[], object], on_error: Callable[[], object]) -> None:
        """Run `job` after the ack; if it fails, log it (without user text) and run `on_error`."""

        def run() -> None:
            try:
                job()
            except Exception as exc:
                log.error(
                    "answer job failed: %s",
                    type(exc).__name__,
                    exc_info=log.isEnabledFor(logging.DEBUG),
                )
                try:
                    on_error()
                except Exception as again:
                    log.error("could not tell the user about the failure: %s", type(again).__name__)

        self.workers.submit(run)


def deps_of(context: BoltContext) -> Deps:
    deps: Deps = context["stp"]
    return deps


def install(app: Any, deps: Deps) -> None:
    """A global middleware that hands `deps` to every listener through its context."""

    def provide_deps(context: BoltContext, next: Callable[[], None]) -> None:
        context["stp"] = deps
        next()

    app.use(provide_deps)


_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_LINK = re.compile(r"<([^>|]+)(?:\|([^>]*))?>")


def plain_text(text: str, bot_user_id: str | None = None) -> str:
    """A user's message as the words they typed: the bot's mention dropped, other
    mentions, channels and links reduced to their labels, entities unescaped."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    text = _MENTION.sub(" ", text) if bot_user_id is None else text
    text = _LINK.sub(lambda m: m.group(2) or m.group(1).lstrip("#@!"), text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())
