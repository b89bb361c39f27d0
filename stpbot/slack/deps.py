"""What every Slack listener needs, put in Bolt's `context` by one middleware."""

from __future__ import annotations

import logging
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

    from slack_bolt import BoltContext

    from stpbot.chat.bot import ChatBot

log = logging.getLogger("stpbot.slack")

# Answering embeds a question (CPU) and calls Slack (network): a few workers keep
# both busy on two cores; the queue in front of them absorbs bursts after the ack.
ANSWER_WORKERS = 4
# Listeners only acknowledge and queue work, so each holds a thread for milliseconds;
# Bolt's default of 5 threads still let a burst of 20 commands miss Slack's 3 s ack.
LISTENER_THREADS = 32
T = TypeVar("T")


class TrackedPool(ThreadPoolExecutor):
    """A thread pool that can wait until everything it was given has run."""

    def __init__(self, workers: int, name: str) -> None:
        super().__init__(workers, thread_name_prefix=name)
        self._pending = 0
        self._idle = threading.Condition()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        with self._idle:
            self._pending += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _: object) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """True once nothing is queued or running; False if `timeout` seconds pass first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)


@dataclass
class Deps:
    """The bot (with its memory of events already answered) and the answer workers."""

    bot: ChatBot
    # Hosts the bot token may be sent to when downloading an uploaded report.
    file_hosts: frozenset[str] = frozenset({"files.slack.com"})
    workers: TrackedPool = field(default_factory=lambda: TrackedPool(ANSWER_WORKERS, "stp-answer"))
    # Bolt's listener threads: they only acknowledge and queue work for `workers`.
    listeners: TrackedPool = field(
        default_factory=lambda: TrackedPool(LISTENER_THREADS, "stp-listener")
    )

    def first_delivery(self, body: dict[str, Any], event: dict[str, Any]) -> bool:
        """False for an event Slack redelivers (same event_id) after it was handled."""
        return self.bot.events.first_time(body.get("event_id") or event["ts"])

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every request taken so far is answered; False on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if not (self.listeners.wait_idle(left) and self.workers.wait_idle(left)):
                return False
            if self.listeners.wait_idle(0):  # no listener queued more work meanwhile
                return True

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
