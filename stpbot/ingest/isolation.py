"""Parse knowledge files at arm's length: in child processes with a memory cap
(RLIMIT_AS) and a time limit, so one hostile file cannot take down the build or bot.

The children start fresh (spawn), import only the ingest code and what the caller
asks to run on each document there (the chunker), and are replaced when one dies
or runs out of time (pebble).
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, TypeVar

from stpbot.defaults import MB
from stpbot.errors import DocumentError, StpbotError
from stpbot.ingest import load_document
from stpbot.ingest.limits import Limits

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from stpbot.documents import Document


def _limit_memory(megabytes: int) -> None:
    import resource

    cap = megabytes * MB
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


T = TypeVar("T")


def _load(
    path: Path, root: Path, limits: Limits, then: Callable[[Document], T]
) -> tuple[Document, T]:
    try:
        document = load_document(path, root, limits)
        return document, then(document)
    except MemoryError:
        rel = path.relative_to(root).as_posix()
        raise DocumentError(
            f"{rel} needs more than {limits.parse_memory_mb:,} MB to read (STPBOT_PARSE_MEMORY_MB)"
        ) from None


def load_isolated(
    paths: list[Path],
    root: Path,
    then: Callable[[Document], T],
    limits: Limits | None = None,
    workers: int | None = None,
) -> Iterator[tuple[Path, tuple[Document, T] | DocumentError]]:
    """Load each file in a child process and run `then` (a module-level function) on
    it there, under the same limits; yields (path, (document, what `then` returned) or
    the reason it failed) in the order given."""
    from pebble import ProcessExpired, ProcessPool

    limits = limits or Limits()
    if not paths:
        return
    count = workers or max(1, min(len(paths), os.cpu_count() or 1, 4))
    context = multiprocessing.get_context("spawn")
    with ProcessPool(
        max_workers=count,
        initializer=_limit_memory,
        initargs=(limits.parse_memory_mb,),
        context=context,
    ) as pool:
        futures = [
            (
                path,
                pool.schedule(_load, args=(path, root, limits, then), timeout=limits.parse_seconds),
            )
            for path in paths
        ]
        for path, future in futures:
            rel = path.relative_to(root).as_posix()
            try:
                yield path, future.result()
            except DocumentError as exc:
                yield path, exc
            except FutureTimeout:
                yield (
                    path,
                    DocumentError(
                        f"{rel} took over {limits.parse_seconds:g} s to read (STPBOT_PARSE_SECONDS)"
                    ),
                )
            except ProcessExpired as exc:
                yield (
                    path,
                    DocumentError(
                        f"{rel} crashed the parser (exit code {exc.exitcode}); "
                        "the file is corrupt or hostile"
                    ),
                )
            except BrokenProcessPool as exc:
                # The children could not start at all: that is no verdict on the files.
                raise StpbotError(
                    "cannot start the processes that read files; a script that builds "
                    "the index must guard its entry point with `if __name__ == '__main__':`"
                ) from exc
            except Exception as exc:
                # A parser bug on a strange file: skip the file, say which and why.
                yield path, DocumentError(f"{rel} could not be read ({type(exc).__name__})")
