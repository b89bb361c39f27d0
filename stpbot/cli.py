"""The `stpbot` command: index, ask, summary, compare, topics, sources, eval."""

from __future__ import annotations

import json
import os
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
    from stpbot.engine import Engine
    from stpbot.indexer import BuildReport

app = typer.Typer(
    help="Answer questions about NHS STPs by quoting briefings, with their sources.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

EXIT_USER_ERROR = 2


@dataclass
class Overrides:
    knowledge_dir: Path | None = None
    index_dir: Path | None = None


_overrides = Overrides()


@app.callback()
def _options(
    knowledge_dir: Annotated[
        Path | None,
        typer.Option(help="Folder of briefings [env: STPBOT_KNOWLEDGE_DIR, default: knowledge]"),
    ] = None,
    index_dir: Annotated[
        Path | None,
        typer.Option(help="Folder of the built index [env: STPBOT_INDEX_DIR, default: index]"),
    ] = None,
) -> None:
    _overrides.knowledge_dir = knowledge_dir
    _overrides.index_dir = index_dir


def _settings() -> Settings:
    from pydantic import ValidationError

    from stpbot.config import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        name = "STPBOT_" + str(error["loc"][0]).upper()
        raise StpbotError(f"setting {name} is invalid: {error['msg']}") from exc
    if _overrides.knowledge_dir is not None:
        settings.knowledge_dir = _overrides.knowledge_dir
    if _overrides.index_dir is not None:
        settings.index_dir = _overrides.index_dir
    return settings


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=not sys.stdout.isatty())


class _Progress:
    """A rich progress bar on a terminal; nothing at all otherwise (tests, CI, pipes)."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._task: Any = None

    def start(self, total: int) -> None:
        if total == 0 or not sys.stderr.isatty():
            return
        from rich.progress import Progress

        self._bar = Progress(console=_console(stderr=True), transient=True)
        self._bar.start()
        self._task = self._bar.add_task("Embedding passages", total=total)

    def advance(self, count: int) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, count)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def _report_build(report: BuildReport) -> None:
    err = _console(stderr=True)
    for skipped in report.skipped:
        err.print(f"[yellow]skipped[/] {skipped.path}: {skipped.reason}", markup=True)
    err.print(report.summary(), markup=False)


def _embedder(settings: Settings) -> Any:
    from stpbot.embedding import Embedder

    return Embedder(settings.embedding_model)


def _open_engine(settings: Settings) -> Engine:
    from stpbot.engine import Engine

    progress = _Progress()
    try:
        engine, report = Engine.open(
            knowledge_dir=settings.knowledge_dir,
            index_dir=settings.index_dir,
            embedder=_embedder(settings),
            threshold=settings.relevance_threshold,
            max_question_chars=settings.max_question_chars,
            progress=progress,
        )
    finally:
        progress.stop()
    if report is not None:
        _report_build(report)
    return engine


def _print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _stdin_lines() -> Iterator[str]:
    try:
        for line in sys.stdin:
            if line.strip():
                yield line.rstrip("\n")
    except UnicodeDecodeError as exc:
        raise StpbotError("standard input is not UTF-8 text") from exc


@app.command()
def index(
    full: Annotated[
        bool, typer.Option(help="Re-embed every document, not just changed ones")
    ] = False,
) -> None:
    """Build or update the index from the knowledge folder."""
    from stpbot.indexer import build_index

    settings = _settings()
    progress = _Progress()
    try:
        report = build_index(
            settings.knowledge_dir, settings.index_dir, _embedder(settings), progress, full=full
        )
    finally:
        progress.stop()
    _report_build(report)
    if report.skipped:
        raise StpbotError(
            f"{len(report.skipped)} file(s) could not be indexed (listed above); the rest are live"
        )


@app.command()
def ask(
    question: Annotated[
        str, typer.Argument(help='The question, or "-" to read one per line from stdin')
    ],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per question")] = False,
    k: Annotated[int, typer.Option("-k", min=1, max=20, help="How many passages to quote")] = 3,
) -> None:
    """Quote the passages that best answer QUESTION."""
    from stpbot.engine import check_question
    from stpbot.render.json import answer_dict
    from stpbot.render.text import render_answer

    settings = _settings()
    if question != "-":
        # Refuse a bad question before spending seconds loading the model.
        check_question(question, settings.max_question_chars)
    engine = _open_engine(settings)
    questions = _stdin_lines() if question == "-" else iter([question])
    out = _console()
    for text in questions:
        answer = engine.ask(text, k=k)
        if as_json:
            _print_json(answer_dict(answer))
        else:
            out.print(render_answer(answer, engine.topics))
            out.print()


TopicArgument = Annotated[
    str, typer.Argument(help="A topic id or name from `stpbot topics`, or any text")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text")]


@app.command()
def summary(topic: TopicArgument, as_json: JsonOption = False) -> None:
    """Diverse quotes on a topic across the briefings, grouped by source."""
    from stpbot.render.json import summary_dict
    from stpbot.render.text import render_summary

    engine = _open_engine(_settings())
    result = engine.summary(topic)
    if as_json:
        _print_json(summary_dict(result))
    else:
        _console().print(render_summary(result, engine.topics))


@app.command()
def compare(topic: TopicArgument, as_json: JsonOption = False) -> None:
    """What each organisation says on a topic: its best quote."""
    from stpbot.render.json import comparison_dict
    from stpbot.render.text import render_comparison

    engine = _open_engine(_settings())
    result = engine.compare(topic)
    if as_json:
        _print_json(comparison_dict(result))
    else:
        _console().print(render_comparison(result, engine.topics))


@app.command()
def topics(as_json: JsonOption = False) -> None:
    """List the topics you can ask a summary or comparison of."""
    from stpbot.render.json import topics_list
    from stpbot.render.text import render_topics
    from stpbot.topics import load_topics

    catalogue = load_topics(_settings().knowledge_dir)
    if as_json:
        _print_json(topics_list(catalogue))
    else:
        _console().print(render_topics(catalogue))


@app.command()
def sources(as_json: JsonOption = False) -> None:
    """List the indexed documents with their passage counts."""
    from stpbot.render.json import sources_list
    from stpbot.render.text import render_sources

    infos = _open_engine(_settings()).sources()
    if as_json:
        _print_json(sources_list(infos))
    else:
        _console().print(render_sources(infos))


@app.command("eval")
def evaluate(
    file: Annotated[
        Path, typer.Argument(help="JSONL with question and expect (null = out of scope)")
    ],
    as_json: JsonOption = False,
    misses: Annotated[
        bool, typer.Option("--misses", help="List questions not ranked first")
    ] = False,
) -> None:
    """Measure recall@1, recall@3, MRR and abstention on a labelled question set."""
    from rich.table import Table

    from stpbot.evaluation import DEPTH, Report, load_questions, score

    items = load_questions(file)
    engine = _open_engine(_settings())
    report = Report([score(item, engine.ask(item.question, k=DEPTH)) for item in items])
    if as_json:
        _print_json(report.metrics())
        return
    table = Table("metric", "value", box=None)
    for name, value in report.metrics().items():
        table.add_row(name, f"{value:.3f}" if isinstance(value, float) else str(value))
    out = _console()
    out.print(table)
    if misses:
        for outcome in report.outcomes:
            if not outcome.correct:
                item = outcome.item
                out.print(f"miss {item.id or ''}: {item.question} (rank {outcome.rank})")


def main() -> None:
    """Entry point: user errors become one line on stderr and exit code 2."""
    try:
        app()
    except StpbotError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        sys.exit(EXIT_USER_ERROR)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("STPBOT_DEBUG"):
            raise
        print(
            f"Error: unexpected {type(exc).__name__}: {exc} (set STPBOT_DEBUG=1 for details)",
            file=sys.stderr,
        )
        sys.exit(1)
