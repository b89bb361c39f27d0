"""The `stpbot` command: index, ask, summary, compare, topics, sources, eval, serve."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from stpbot.cli import admin, package, query, serve
from stpbot.cli.common import EXIT_USER_ERROR, Overrides
from stpbot.errors import StpbotError

app = typer.Typer(
    help="Answer questions about NHS STPs by quoting briefings, with their sources.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command()(admin.index)
app.command()(query.ask)
app.command()(query.summary)
app.command()(query.compare)
app.command()(query.topics)
app.command()(query.sources)
app.command()(query.glossary)
app.command("eval")(query.evaluate)
app.command()(admin.feedback)
app.add_typer(serve.app, name="serve")
app.add_typer(package.app, name="package")


@app.callback()
def _options(
    ctx: typer.Context,
    knowledge_dir: Annotated[
        Path | None,
        typer.Option(help="Folder of briefings [env: STPBOT_KNOWLEDGE_DIR, default: knowledge]"),
    ] = None,
    index_dir: Annotated[
        Path | None,
        typer.Option(help="Folder of the built index [env: STPBOT_INDEX_DIR, default: index]"),
    ] = None,
) -> None:
    ctx.obj = Overrides(knowledge_dir=knowledge_dir, index_dir=index_dir)


def main(args: list[str] | None = None) -> None:
    """Entry point: user errors become one line on stderr and exit code 2."""
    try:
        app(args)
    except StpbotError as exc:
        from stpbot.render.text import printable

        print(f"Error: {printable(str(exc))}", file=sys.stderr)
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
