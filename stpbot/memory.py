"""Short-lived, bounded memories a chat bot needs: events already handled, and the
last question asked in each conversation (for follow-ups)."""

from __future__ import annotations

import threading

from cachetools import TTLCache

# Slack retries a missed event at once, after about a minute and after about five.
SEEN_SECONDS = 15 * 60
CONVERSATION_SECONDS = 24 * 60 * 60


class SeenEvents:
    """Event ids handled recently, so a redelivered event is answered only once."""

    def __init__(self, ttl: float = SEEN_SECONDS, maxsize: int = 100_000) -> None:
        self._seen: TTLCache[str, bool] = TTLCache(maxsize=maxsize, ttl=ttl)
        self._lock = threading.Lock()

    def first_time(self, event_id: str) -> bool:
        """True the first time an id is offered, False for every repeat within the TTL."""
        with self._lock:
            if event_id in self._seen:
                return False
            self._seen[event_id] = True
            return True


class Conversations:
    """The latest question per conversation (a Slack thread, a Teams chat)."""

    def __init__(self, ttl: float = CONVERSATION_SECONDS, maxsize: int = 50_000) -> None:
        self._last: TTLCache[str, str] = TTLCache(maxsize=maxsize, ttl=ttl)
        self._lock = threading.Lock()

    def previous(self, conversation: str) -> str | None:
        with self._lock:
            return self._last.get(conversation)

    def remember(self, conversation: str, question: str) -> None:
        with self._lock:
            self._last[conversation] = question
