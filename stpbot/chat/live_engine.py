"""Keeps one engine serving while a reindex runs beside it, then swaps to the new one.

Requests read `live.engine` once and keep that object for their whole answer, so a
swap never changes an index under a request that is being answered.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from stpbot.chat.replies import ReindexOutcome, ReindexProgress
from stpbot.defaults import DEFAULT_TOKEN_PASSAGES, MAX_QUESTION_CHARS
from stpbot.engine import Engine
from stpbot.errors import StpbotError
from stpbot.index.build import build_index, ensure_built
from stpbot.index.store import current_version
from stpbot.state.database import wait_for

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from stpbot.embedding import Embedder
    from stpbot.index.build import BuildProgress, BuildReport
    from stpbot.ingest.limits import Limits
    from stpbot.retrieve.gate import Gate
    from stpbot.state.database import BuildLock

log = logging.getLogger(__name__)
# How long a starting replica waits for another's build of the shared index.
START_WAIT_SECONDS = 30 * 60


class _Progress:
    def __init__(self, callback: Callable[[ReindexProgress], None]) -> None:
        self.callback = callback
        self.total = 0
        self.done = 0

    def start(self, total: int) -> None:
        self.total = total
        self.callback(ReindexProgress(0, total))

    def advance(self, count: int) -> None:
        self.done += count
        self.callback(ReindexProgress(self.done, self.total))


class LiveEngine:
    """The engine a running bot answers from, and the one reindex allowed at a time:
    in this process, and with a `build_lock`, across every replica sharing the index."""

    def __init__(
        self,
        *,
        knowledge_dir: Path,
        index_dir: Path,
        embedder: Embedder,
        gate: Gate | None = None,
        max_question_chars: int = MAX_QUESTION_CHARS,
        limits: Limits | None = None,
        token_passages: int = DEFAULT_TOKEN_PASSAGES,
        build_lock: BuildLock | None = None,
    ) -> None:
        self.build_lock = build_lock
        self.knowledge_dir = knowledge_dir
        self.limits = limits
        self.token_passages = token_passages
        self.index_dir = index_dir
        self.embedder = embedder
        self.gate = gate
        self.max_question_chars = max_question_chars
        self._engine: Engine | None = None
        self._reindexing = threading.Lock()
        self._failed: set[str] = set()  # published versions that would not load
        self._stop = threading.Event()

    def _load(self, full_check: bool = False) -> Engine:
        return Engine.open(
            knowledge_dir=self.knowledge_dir,
            index_dir=self.index_dir,
            embedder=self.embedder,
            gate=self.gate,
            max_question_chars=self.max_question_chars,
            full_check=full_check,
        )

    def open(self, progress: BuildProgress | None = None) -> BuildReport | None:
        """Load the index (building it first if missing or stale); returns the build report.

        Replicas starting together on a stale shared index build it once: each waits
        for the cluster's build lock, and the later ones find the index current.
        """
        self._wait_for_build_lock()
        try:
            report = ensure_built(
                self.knowledge_dir,
                self.index_dir,
                self.embedder,
                progress,
                limits=self.limits,
                token_passages=self.token_passages,
            )
        finally:
            if self.build_lock is not None:
                self.build_lock.release()
        # A server checks every file once at start-up: the fast path of later loads
        # trusts files whose size and time are unchanged since they were checked.
        self._engine = self._load(full_check=True)
        return report

    def _wait_for_build_lock(self) -> None:
        if self.build_lock is not None and not wait_for(self.build_lock, START_WAIT_SECONDS):
            raise StpbotError(
                "another replica has been building the index for "
                f"{START_WAIT_SECONDS / 60:.0f} minutes; not starting"
            )

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise StpbotError("the index is not loaded yet")
        return self._engine

    @property
    def reindexing(self) -> bool:
        return self._reindexing.locked()

    def busy(self) -> bool:
        """Whether a build runs now, in this process or on another replica."""
        if self.reindexing:
            return True
        if self.build_lock is None:
            return False
        if not self._claim():
            return True
        self._unclaim()
        return False

    def reindex(self, progress: Callable[[ReindexProgress], None] | None = None) -> ReindexOutcome:
        """Rebuild from the knowledge folder and swap to the result; the old engine
        keeps answering throughout, and stays if the build fails."""
        started = time.perf_counter()
        try:
            report = build_index(
                self.knowledge_dir,
                self.index_dir,
                self.embedder,
                _Progress(progress) if progress else None,
                limits=self.limits,
                token_passages=self.token_passages,
            )
            engine = self._load()
        except StpbotError as exc:
            return ReindexOutcome(None, str(exc), time.perf_counter() - started)
        except Exception:
            log.exception("reindex failed")
            return ReindexOutcome(
                None,
                "the rebuild failed unexpectedly; see the bot's log",
                time.perf_counter() - started,
            )
        self._engine = engine
        log.info("reindexed: %s", report.summary())
        return ReindexOutcome(report, None, time.perf_counter() - started)

    def refresh(self) -> bool:
        """Switch to an index version published since ours (by `stpbot index`, another
        bot, or a rollback); True if it switched. A version that fails to load is
        logged once and the current engine keeps serving."""
        if self._engine is None or self.reindexing:
            return False
        try:
            live = current_version(self.index_dir)
        except StpbotError:
            return False
        if live == self._engine.index.path or live.name in self._failed:
            return False
        try:
            engine = self._load()
        except StpbotError as exc:
            self._failed.add(live.name)
            log.warning("not switching to index version %s: %s", live.name, exc)
            return False
        self._engine = engine
        log.info("switched to index version %s", engine.index.path.name)
        return True

    def watch(self, interval: float = 2.0) -> None:
        """Check for newly published index versions every `interval` seconds, in the
        background, swapping between requests; `close` stops it."""

        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self.refresh()
                except Exception:
                    log.exception("index refresh failed")

        threading.Thread(target=loop, name="stpbot-index-watch", daemon=True).start()

    def close(self) -> None:
        self._stop.set()

    def _claim(self) -> bool:
        """The right to build: this process's lock, then the cluster's."""
        if not self._reindexing.acquire(blocking=False):
            return False
        try:
            if self.build_lock is None or self.build_lock.acquire():
                return True
        except Exception as exc:
            log.warning("could not take the build lock: %s", type(exc).__name__)
        self._reindexing.release()
        return False

    def _unclaim(self) -> None:
        try:
            if self.build_lock is not None:
                self.build_lock.release()
        finally:
            self._reindexing.release()

    def start_reindex(
        self,
        progress: Callable[[ReindexProgress], None] | None,
        done: Callable[[ReindexOutcome], None],
        prepare: Callable[[], None] | None = None,
    ) -> bool:
        """Run `reindex` on a background thread; False if a build is running here or on
        another replica. `prepare` (writing an upload into the knowledge folder) runs
        once the build is claimed, so a refused upload never touches the folder."""
        if not self._claim():
            return False
        try:
            if prepare is not None:
                prepare()
        except BaseException:
            self._unclaim()
            raise

        def run() -> None:
            try:
                outcome = self.reindex(progress)
            finally:
                self._unclaim()
            done(outcome)

        threading.Thread(target=run, name="stpbot-reindex", daemon=True).start()
        return True
