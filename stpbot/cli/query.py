"""The question commands: ask, summary, compare, topics, sources, eval."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stpbot.cli.common import (
    JsonOption,
    TopicArgument,
    console,
    load_settings,
    open_engine,
    print_json,
    stdin_lines,
)


def ask(
    ctx: typer.Context,
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

    settings = load_settings(ctx)
    if question != "-":
        # Refuse a bad question before spending seconds loading the model.
        check_question(question, settings.max_question_chars)
    engine = open_engine(settings)
    questions = stdin_lines() if question == "-" else iter([question])
    out = console()
    for text in questions:
        answer = engine.ask(text, k=k)
        if as_json:
            print_json(answer_dict(answer))
        else:
            out.print(render_answer(answer, engine.topics))
            out.print()


def summary(ctx: typer.Context, topic: TopicArgument, as_json: JsonOption = False) -> None:
    """Diverse quotes on a topic across the briefings, grouped by source."""
    from stpbot.render.json import summary_dict
    from stpbot.render.text import render_summary

    engine = open_engine(load_settings(ctx))
    result = engine.summary(topic)
    if as_json:
        print_json(summary_dict(result))
    else:
        console().print(render_summary(result, engine.topics))


def compare(ctx: typer.Context, topic: TopicArgument, as_json: JsonOption = False) -> None:
    """What each organisation says on a topic: its best quote."""
    from stpbot.render.json import comparison_dict
    from stpbot.render.text import render_comparison

    engine = open_engine(load_settings(ctx))
    result = engine.compare(topic)
    if as_json:
        print_json(comparison_dict(result))
    else:
        console().print(render_comparison(result, engine.topics))


def topics(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the topics you can ask a summary or comparison of."""
    from stpbot.render.json import topics_list
    from stpbot.render.text import render_topics
    from stpbot.topics import load_topics

    catalogue = load_topics(load_settings(ctx).knowledge_dir)
    if as_json:
        print_json(topics_list(catalogue))
    else:
        console().print(render_topics(catalogue))


def sources(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the indexed documents with their passage counts."""
    from stpbot.render.json import sources_list
    from stpbot.render.text import render_sources

    infos = open_engine(load_settings(ctx)).sources()
    if as_json:
        print_json(sources_list(infos))
    else:
        console().print(render_sources(infos))


def evaluate(
    ctx: typer.Context,
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
    engine = open_engine(load_settings(ctx))
    report = Report([score(item, engine.ask(item.question, k=DEPTH)) for item in items])
    if as_json:
        print_json(report.metrics())
        return
    table = Table("metric", "value", box=None)
    for name, value in report.metrics().items():
        table.add_row(name, f"{value:.3f}" if isinstance(value, float) else str(value))
    out = console()
    out.print(table)
    if misses:
        for outcome in report.results:
            if not outcome.correct:
                item = outcome.item
                out.print(f"miss {item.id or ''}: {item.question} (rank {outcome.rank})")
