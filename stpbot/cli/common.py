"""Helpers every `stpbot` command shares: settings, consoles, progress, the engine."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stpbot.errors import StpbotError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from rich.console import Console

    from stpbot.config import Settings
    from stpbot.embedding import Embedder
    from stpbot.engine import Engine
    from stpbot.index.build import BuildReport
    from stpbot.ingest.limits import Limits
    from stpbot.retrieve.gate import Gate
    from stpbot.state.shared import SharedState

EXIT_USER_ERROR = 2


@dataclass(frozen=True)
class Overrides:
    """The global options, kept on the command's context (so runs in one process differ)."""

    knowledge_dir: Path | None = None
    index_dir: Path | None = None


def load_settings(ctx: typer.Context | None = None) -> Settings:
    """The settings from the environment and `.env`, with the command line's overrides."""
    from pydantic import ValidationError

    from stpbot.config import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        name = "STPBOT_" + str(error["loc"][0]).upper()
        raise StpbotError(f"setting {name} is invalid: {error['msg']}") from exc
    overrides = ctx.find_object(Overrides) if ctx is not None else None
    if overrides is not None and overrides.knowledge_dir is not None:
        settings.knowledge_dir = overrides.knowledge_dir
    if overrides is not None and overrides.index_dir is not None:
        settings.index_dir = overrides.index_dir
    return settings


def limits(settings: Settings) -> Limits:
    """What one knowledge file may cost to read, from the settings."""
    from stpbot.ingest.limits import Limits

    return Limits.of(
        max_file_mb=settings.max_file_mb,
        max_pages=settings.max_pages,
        parse_seconds=settings.parse_seconds,
        parse_memory_mb=settings.parse_memory_mb,
    )


def gate(settings: Settings) -> Gate:
    """The answer gate the settings ask for."""
    from stpbot.retrieve.gate import Gate

    return Gate(threshold=settings.relevance_threshold)


def open_state(settings: Settings) -> SharedState:
    """The served bot's shared state: SQLite files, or PostgreSQL with a database URL."""
    from stpbot.state.shared import open_state as open_shared

    salt, url = settings.feedback_salt, settings.database_url
    return open_shared(
        database_url=url.get_secret_value() if url else None,
        memory_db=settings.memory_db,
        feedback_db=settings.feedback_db,
        salt=salt.get_secret_value() if salt else None,
    )


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    # Never markup or emoji codes: file names, titles and questions are user data, and
    # "[/b]" in a title or "Photos [" in a path must print as written, not be parsed.
    return Console(
        stderr=stderr,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=not sys.stdout.isatty(),
    )


class BuildBar:
    """A rich progress bar on a terminal; nothing at all otherwise (tests, CI, pipes)."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._task: Any = None

    def start(self, total: int) -> None:
        if total == 0 or not sys.stderr.isatty():
            return
        from rich.progress import Progress

        self._bar = Progress(console=console(stderr=True), transient=True)
        self._bar.start()
        self._task = self._bar.add_task("Embedding passages", total=total)

    def advance(self, count: int) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, count)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def report_build(report: BuildReport) -> None:
    """The files a build skipped, a line each, then its one-line summary, on stderr."""
    from rich.text import Text

    from stpbot.render.text import printable

    err = console(stderr=True)
    for skipped in report.skipped:
        line = printable(f" {skipped.path}: {skipped.reason}")
        err.print(Text.assemble(("skipped", "yellow"), line))
    err.print(report.summary(), markup=False)


def embedder(settings: Settings) -> Embedder:
    """The configured embedder; on a terminal, a first-run export is announced and done."""
    from stpbot.embedding import open_embedder

    model = open_embedder(
        settings.embedding_model, settings.embedding_backend, settings.model_cache_dir
    )
    if sys.stderr.isatty() and not model.prepared:
        # Otherwise the first build's progress bar would sit at zero for 15 seconds.
        with console(stderr=True).status("Exporting the embedding model to ONNX, once…"):
            model.load()
    return model


def open_engine(settings: Settings) -> Engine:
    """The engine on the live index, built first when missing or stale (with a bar on a tty)."""
    from stpbot.engine import Engine
    from stpbot.index.build import ensure_built

    model = embedder(settings)
    progress = BuildBar()
    try:
        report = ensure_built(
            settings.knowledge_dir,
            settings.index_dir,
            model,
            progress,
            limits=limits(settings),
            token_passages=settings.token_passages,
        )
    finally:
        progress.stop()
    if report is not None:
        report_build(report)
    return Engine.open(
        knowledge_dir=settings.knowledge_dir,
        index_dir=settings.index_dir,
        embedder=model,
        gate=gate(settings),
        max_question_chars=settings.max_question_chars,
    )


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    sys.stdout.flush()


@dataclass(frozen=True)
class InputLine:
    """One line of standard input: its text, or why it could not be read."""

    number: int
    text: str | None
    error: str | None = None


def stdin_lines() -> Iterator[InputLine]:
    """Non-blank lines of standard input, each decoded alone: a line that is not UTF-8
    is reported as that line's error and the rest are still read."""
    for number, raw in enumerate(sys.stdin.buffer, start=1):
        try:
            line = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            yield InputLine(number, None, f"line {number} is not UTF-8 text")
            continue
        if line.strip():
            yield InputLine(number, line)


TopicArgument = Annotated[
    str, typer.Argument(help="A topic id or name from `stpbot topics`, or any text")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text")]
