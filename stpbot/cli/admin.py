"""The admin commands: build the index, read the feedback."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from stpbot.cli.common import (
    BuildBar,
    console,
    embedder,
    limits,
    load_settings,
    open_state,
    report_build,
)
from stpbot.errors import StpbotError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from stpbot.config import Settings
    from stpbot.embedding import Embedder
    from stpbot.index.build import BuildReport


def index(
    ctx: typer.Context,
    full: Annotated[
        bool, typer.Option(help="Re-embed every document, not just changed ones")
    ] = False,
    rollback: Annotated[
        bool, typer.Option(help="Make the previous index version live again, and stop")
    ] = False,
    watch: Annotated[
        bool, typer.Option(help="Stay running and rebuild whenever the knowledge folder changes")
    ] = False,
    verify: Annotated[
        bool, typer.Option(help="Hash every file of the live index against its manifest, and stop")
    ] = False,
    wait: Annotated[
        bool,
        typer.Option(
            help="With a shared database: wait for another replica's build instead of refusing"
        ),
    ] = False,
) -> None:
    """Build or update the index from the knowledge folder."""
    settings = load_settings(ctx)
    if rollback:
        _rollback(settings)
        return
    if verify:
        _verify(settings)
        return
    model = embedder(settings)
    report = _build(settings, model, full, wait=wait)
    if watch:
        _watch(settings, model)
    if report.skipped:
        raise StpbotError(
            f"{len(report.skipped)} file(s) could not be indexed (listed above); the rest are live"
        )


@contextmanager
def _claimed(settings: Settings, wait: bool = False) -> Iterator[None]:
    """With a shared database, the cluster-wide build lock that served replicas take too;
    refused while another holds it, or (`wait`) waited for."""
    if settings.database_url is None:
        yield
        return
    import math

    from stpbot.state.database import wait_for
    from stpbot.state.postgres import BUILD_LOCK, PostgresDatabase

    database = PostgresDatabase(settings.database_url.get_secret_value(), max_size=1)
    lock = database.lock(BUILD_LOCK)
    try:
        if not (lock.acquire() or (wait and wait_for(lock, math.inf))):
            raise StpbotError(
                "another replica is rebuilding the index; try again when it has finished"
            )
        try:
            yield
        finally:
            lock.release()
    finally:
        database.close()


def _build(
    settings: Settings, model: Embedder, full: bool = False, *, wait: bool = False
) -> BuildReport:
    from stpbot.index.build import build_index

    progress = BuildBar()
    try:
        with _claimed(settings, wait):
            report = build_index(
                settings.knowledge_dir,
                settings.index_dir,
                model,
                progress,
                full=full,
                limits=limits(settings),
                token_passages=settings.token_passages,
            )
    finally:
        progress.stop()
    report_build(report)
    return report


def _verify(settings: Settings) -> None:
    from stpbot.index.store import verify_index

    folder, manifest = verify_index(settings.index_dir)
    console().print(
        f"index version {folder.name} verified: all {len(manifest.files)} files match "
        "their SHA-256 in the manifest",
        markup=False,
    )


def _rollback(settings: Settings) -> None:
    from stpbot.index.store import rollback

    manifest = rollback(settings.index_dir)
    out = console(stderr=True)
    out.print(
        f"rolled back to the index built {manifest.built_at}: {len(manifest.documents)} "
        f"documents, {manifest.passage_count} passages. Running bots switch to it within "
        "seconds. The knowledge folder is unchanged: fix or remove the newer files, or the "
        "next `stpbot index` will index them again.",
        markup=False,
    )


def _watch(settings: Settings, model: Embedder) -> None:
    """Rebuild after each burst of changes settles; errors are reported, not fatal."""
    from watchfiles import watch

    from stpbot.index.build import is_stale

    out = console(stderr=True)
    ready = False
    # yield_on_timeout: an empty batch now and then says the watcher is running, so
    # "watching" is printed only once nothing can be missed.
    for changes in watch(
        settings.knowledge_dir,
        debounce=1500,
        step=200,
        rust_timeout=1000,
        yield_on_timeout=True,
        raise_interrupt=False,
    ):
        if not ready:
            ready = True
            out.print(
                f"watching {settings.knowledge_dir} for changes (Ctrl-C to stop)", markup=False
            )
            if not is_stale(settings.index_dir, settings.knowledge_dir, model.name, model.backend):
                continue  # else something changed while the watcher started
        elif not changes:
            continue
        try:
            _build(settings, model)
        except StpbotError as exc:
            out.print(f"Error: {exc}", markup=False)


def feedback(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text")] = False,
    recent: Annotated[
        int, typer.Option(min=0, max=100, help="How many not-helpful questions to list")
    ] = 10,
) -> None:
    """Summarise the Helpful / Not helpful votes users gave in chat."""
    from dataclasses import asdict

    from rich.table import Table

    from stpbot.cli.common import print_json
    from stpbot.render.text import printable

    settings = load_settings(ctx)
    path = settings.feedback_db
    if settings.database_url is None and not path.exists():
        raise StpbotError(f"no feedback yet: {path} does not exist (set STPBOT_FEEDBACK_DB)")
    state = open_state(settings)
    try:
        result = state.feedback.summary(recent)
    finally:
        state.close()
    if as_json:
        print_json(asdict(result))
        return
    out = console()
    rate = f"{result.helpful / result.votes:.0%} helpful" if result.votes else "no votes yet"
    out.print(f"{result.answers} answers shown, {result.votes} votes: {rate}")
    table = Table("kind", "helpful", "not helpful", box=None)
    for kind, (good, bad) in sorted(result.by_kind.items()):
        table.add_row(kind, str(good), str(bad))
    if result.by_kind:
        out.print(table)
    if result.recent_unhelpful:
        out.print("\nLatest answers voted not helpful (question → passages shown):")
        for verdict in result.recent_unhelpful:
            line = f"- [{verdict.kind}] {verdict.question} → {', '.join(verdict.passage_ids)}"
            out.print(printable(line))
