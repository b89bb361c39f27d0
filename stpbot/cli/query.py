"""The question commands: ask, summary, compare, topics, sources, glossary, eval."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from stpbot import wording
from stpbot.cli.common import (
    JsonOption,
    TopicArgument,
    console,
    load_settings,
    open_engine,
    print_json,
    stdin_lines,
)
from stpbot.errors import QuestionError, StpbotError

if TYPE_CHECKING:
    from stpbot.answers import Answer
    from stpbot.calibration import CrossValidation
    from stpbot.cli.common import InputLine
    from stpbot.topics import Topic


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

    settings = load_settings(ctx)
    if question != "-":
        # Refuse a bad question before spending seconds loading the model.
        check_question(question, settings.max_question_chars)
    engine = open_engine(settings)
    if question != "-":
        _print_answer(engine.ask(question, k=k), engine.topics, as_json)
        return
    # A batch: every line gets its answer or its own error, in order, and goes on.
    failed = 0
    for line in stdin_lines():
        try:
            if line.text is None:
                raise QuestionError(line.error or f"line {line.number} could not be read")
            answer = engine.ask(line.text, k=k)
        except QuestionError as exc:
            failed += 1
            _print_line_error(line, str(exc), as_json)
            continue
        _print_answer(answer, engine.topics, as_json)
    if failed:
        raise StpbotError(f"{failed} question(s) could not be answered (each said why above)")


def _print_answer(answer: Answer, topics: list[Topic], as_json: bool) -> None:
    from stpbot.render.json import answer_dict
    from stpbot.render.text import render_answer

    if as_json:
        print_json(answer_dict(answer))
    else:
        out = console()
        out.print(render_answer(answer, topics))
        out.print()


def _print_line_error(line: InputLine, message: str, as_json: bool) -> None:
    if as_json:
        # The answer's shape, so a reader of the stream keeps one schema, plus why.
        question = line.text[:200] if line.text is not None else None
        print_json({"question": question, "answered": False, "passages": [], "error": message})
    else:
        console(stderr=True).print(f"Error: line {line.number}: {message}", markup=False)


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


def glossary(
    ctx: typer.Context,
    term: Annotated[
        str | None, typer.Argument(help="A term: CCG, VCS, foundation trust, ...")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """What an NHS acronym or term means, from knowledge/glossary.yaml; all terms without one."""
    from stpbot.glossary import load_glossary
    from stpbot.render.json import glossary_list
    from stpbot.render.text import render_definition, render_glossary

    entries = load_glossary(load_settings(ctx).knowledge_dir)
    if term is None:
        if as_json:
            print_json(glossary_list(entries.entries))
        else:
            console().print(render_glossary(entries.entries))
        return
    entry = entries.lookup(term)
    if entry is None:
        terms = tuple(sorted((e.term for e in entries.entries), key=str.lower))
        raise StpbotError(wording.no_definition(" ".join(term.split())[:100], terms))
    if as_json:
        print_json(entry.model_dump())
    else:
        console().print(render_definition(entry, term, ()))


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
    files: Annotated[
        list[Path],
        typer.Argument(help="JSONL files with question and expect (null = out of scope)"),
    ],
    as_json: JsonOption = False,
    misses: Annotated[
        bool, typer.Option("--misses", help="List questions not answered right")
    ] = False,
    cv: Annotated[
        int | None,
        typer.Option(
            "--cv",
            min=2,
            metavar="K",
            help="Also report a K-fold cross-validated estimate for the gate's constants",
        ),
    ] = None,
) -> None:
    """Recall@1, recall@3, MRR and abstention per question set, pooled, and (with --cv)
    cross-validated."""
    from stpbot.calibration import choose_gate, cross_validate
    from stpbot.evaluation import DEPTH, Report, load_questions, pooled, score

    sets = {file.name: load_questions(file) for file in files}
    if len(sets) < len(files):
        raise StpbotError("each question file needs a different name")
    engine = open_engine(load_settings(ctx))
    gate = engine.retriever.gate
    reports = {
        name: Report(
            [score(item, engine.assess(item.question, k=DEPTH), gate, name) for item in items]
        )
        for name, items in sets.items()
    }
    everything = pooled(reports.values())
    rows: dict[str, dict[str, float | int]] = {name: r.metrics() for name, r in reports.items()}
    rows["pooled"] = everything.metrics()
    validated = cross_validate(everything.results, cv) if cv else None
    if validated is not None:
        rows[f"pooled, {cv}-fold CV"] = dict(validated.metrics)
        rows["pooled, gate chosen in-sample"] = everything.gated(
            choose_gate(everything.results)
        ).metrics()
    if as_json:
        print_json(
            {
                "sets": rows,
                "gate": {"threshold": gate.threshold},
                **(_cv_json(validated) if validated else {}),
            }
        )
        return
    _print_table(rows)
    if validated is not None:
        chosen = choose_gate(everything.results)
        thresholds = sorted(g.threshold for g in validated.gates)
        console().print(
            f"gate in use: support >= {gate.threshold:.2f}; "
            f"chosen on all questions: {chosen.threshold:.2f}; "
            f"across folds: {thresholds[0]:.2f}-{thresholds[-1]:.2f}",
            markup=False,
        )
    if misses:
        out = console()
        for result in everything.results:
            if not result.correct:
                item = result.item
                out.print(
                    f"miss {result.set_name} {item.id or ''}: {item.question} "
                    f"(rank {result.rank}, answered {result.answered}, "
                    f"support {result.signals.support:.2f}, cosine {result.signals.dense:.2f})",
                    markup=False,
                )


def _cv_json(validated: CrossValidation) -> dict[str, object]:
    gates = [{"threshold": g.threshold} for g in validated.gates]
    return {"cv": {"k": validated.k, "fold_gates": gates}}


def _print_table(rows: dict[str, dict[str, float | int]]) -> None:
    from rich.table import Table

    table = Table(
        "set", "questions", "recall@1", "recall@3", "MRR", "answered", "declined", box=None
    )
    for name, m in rows.items():
        table.add_row(
            name,
            str(m.get("questions", "")),
            f"{m['recall@1']:.3f}",
            f"{m['recall@3']:.3f}",
            f"{m['mrr']:.3f}",
            f"{m['answered_in_scope']:.3f}",
            f"{m['abstention_accuracy']:.3f}",
        )
    console().print(table)
