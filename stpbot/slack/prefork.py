"""A gunicorn worker that serves with waitress, for `serve slack --http --workers N`.

gunicorn forks, supervises and restarts the workers; waitress, inside each, reads
every request whole before a thread sees it, so a slow client costs a connection and
never a thread (gunicorn's threaded worker lends a thread to a connection at its
first byte). Imported by gunicorn by name, in the worker.
"""

from __future__ import annotations

import os
import time
from typing import Any

from gunicorn.workers.base import Worker

from stpbot.slack.server import _waitress_options

# How long one turn of the event loop may wait: also how soon a stop is noticed and
# how often the worker tells the arbiter it is alive.
TURN_SECONDS = 0.5


class WaitressWorker(Worker):  # type: ignore[misc]
    """One gunicorn worker process running a waitress server on the shared listeners."""

    def run(self) -> None:
        from waitress import wasyncore
        from waitress.server import BaseWSGIServer, create_server

        channels: dict[int, Any] = {}  # the event loop's: listeners and connections
        sockets = [listener.sock for listener in self.sockets]
        server = create_server(self.wsgi, map=channels, sockets=sockets, **_waitress_options())
        while self.alive:
            self.notify()
            wasyncore.loop(timeout=TURN_SECONDS, map=channels, use_poll=True, count=1)
            if self.ppid != os.getppid():  # the arbiter is gone: nobody will stop us
                break
        # Stop accepting (the listeners are gunicorn's, left open for the next worker),
        # then finish the requests in flight before the graceful timeout runs out.
        for channel in list(channels.values()):
            if isinstance(channel, BaseWSGIServer):
                channel.del_channel()
        deadline = time.monotonic() + self.cfg.graceful_timeout
        while _busy(channels) and time.monotonic() < deadline:
            self.notify()
            wasyncore.loop(timeout=0.1, map=channels, use_poll=True, count=1)
        server.close()


def _busy(channels: dict[int, Any]) -> bool:
    """Whether any connection has a request being answered or a reply still to send."""
    return any(
        getattr(channel, "requests", None) or getattr(channel, "total_outbufs_len", 0)
        for channel in channels.values()
    )
