"""The admin commands: build the index, read the feedback."""

from __future__ import annotations

from typing import Annotated

import typer

from stpbot.cli.common import BuildBar, embedder, load_settings, report_build
from stpbot.errors import StpbotError


def index(
    full: Annotated[
        bool, typer.Option(help="Re-embed every document, not just changed ones")
    ] = False,
) -> None:
    """Build or update the index from the knowledge folder."""
    from stpbot.indexer import build_index

    settings = load_settings()
    progress = BuildBar()
    try:
        report = build_index(
            settings.knowledge_dir, settings.index_dir, embedder(settings), progress, full=full
        )
    finally:
        progress.stop()
    report_build(report)
    if report.skipped:
        raise StpbotError(
            f"{len(report.skipped)} file(s) could not be indexed (listed above); the rest are live"
        )


def feedback(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text")] = False,
    recent: Annotated[
        int, typer.Option(min=0, max=100, help="How many not-helpful questions to list")
    ] = 10,
) -> None:
    """Summarise the Helpful / Not helpful votes users gave in chat."""
    from dataclasses import asdict

    from rich.table import Table

    from stpbot.cli.common import console, print_json
    from stpbot.feedback import FeedbackStore

    path = load_settings().feedback_db
    if not path.exists():
        raise StpbotError(f"no feedback yet: {path} does not exist (set STPBOT_FEEDBACK_DB)")
    result = FeedbackStore(path).summary(recent)
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
            out.print(f"- [{verdict.kind}] {verdict.question} → {', '.join(verdict.passage_ids)}")
