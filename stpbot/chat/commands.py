"""The bot's chat commands (`/stp ask …` in Slack, `ask …` in Teams), parsed once for all."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    ASK = "ask"
    SUMMARY = "summary"
    COMPARE = "compare"
    TOPICS = "topics"
    DEFINE = "define"
    SOURCES = "sources"
    HELP = "help"
    REINDEX = "reindex"
    ADD = "add"


@dataclass(frozen=True, slots=True)
class Usage:
    kind: Kind
    argument: str
    description: str
    admin: bool = False


USAGE = (
    Usage(Kind.ASK, "<question>", "quotes from the briefings that answer a question"),
    Usage(Kind.SUMMARY, "<topic>", "what the briefings say on a topic, grouped by source"),
    Usage(Kind.COMPARE, "<topic>", "each organisation's view on a topic, side by side"),
    Usage(Kind.TOPICS, "", "the topics the briefings cover"),
    Usage(Kind.DEFINE, "<term>", "what an NHS acronym or term means (CCG, VCS, FT, ...)"),
    Usage(Kind.SOURCES, "", "the documents the bot knows"),
    Usage(Kind.HELP, "", "this help"),
    Usage(Kind.REINDEX, "", "rebuild the index from the knowledge folder (admins)", admin=True),
    Usage(
        Kind.ADD,
        "",
        "how to add a report (admins)",
        admin=True,
    ),
)

# Subcommands that need something after them (what, in words); without it, the help.
NEEDED = {
    Kind.ASK: "a question",
    Kind.SUMMARY: "a topic",
    Kind.COMPARE: "a topic",
    Kind.DEFINE: "a term",
}
NEEDS_ARGUMENT = frozenset(NEEDED)


@dataclass(frozen=True, slots=True)
class Command:
    """A parsed command. `unknown` holds what the user typed when it was not a command;
    `incomplete` a command that needs an argument and came without one."""

    kind: Kind
    argument: str = ""
    unknown: str | None = None
    incomplete: Kind | None = None


def parse_command(text: str) -> Command:
    """Split `summary local government` into kind and argument; anything else is help."""
    words = text.strip().split(maxsplit=1)
    if not words:
        return Command(Kind.HELP)
    head = words[0].lower()
    argument = words[1].strip() if len(words) > 1 else ""
    try:
        kind = Kind(head)
    except ValueError:
        return Command(Kind.HELP, unknown=words[0])
    if kind in NEEDS_ARGUMENT and not argument:
        return Command(Kind.HELP, incomplete=kind)
    return Command(kind, argument)


def parse_message(text: str) -> Command:
    """A chat message where commands are optional: "summary engagement" is a command,
    anything else is a question ("why were councils unhappy?")."""
    command = parse_command(text)
    if command.kind is Kind.HELP and command.unknown is not None:
        return Command(Kind.ASK, " ".join(text.split()))
    return command
