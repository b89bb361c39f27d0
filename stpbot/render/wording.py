"""Words the bot says, as plain text every renderer draws in its own markup.

One home, so Slack, Teams and the terminal say the same thing the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stpbot.glossary import Entry

# How many of the glossary's terms a "no entry" reply lists.
TERMS_LISTED = 60


def quoted_in(speaker: str) -> str:
    """The lead-in of a source line whose quote is someone's words: "Sir Bruce, quoted in"."""
    return f"{speaker}, quoted in"


def definition_title(entry: Entry) -> str:
    """The term, with what it stands for: "CCG (clinical commissioning group)"."""
    return f"{entry.term} ({entry.stands_for})" if entry.stands_for else entry.term


def also_called(entry: Entry) -> str | None:
    """Its synonyms, as a sentence, or None."""
    return f"Also called: {', '.join(entry.also)}." if entry.also else None


def no_definition(asked: str, terms: tuple[str, ...]) -> str:
    """Why there is no entry, and which terms there are."""
    if not terms:
        return f"There is no glossary to look “{asked}” up in (knowledge/glossary.yaml)."
    listed = ", ".join(terms[:TERMS_LISTED])
    more = f" and {len(terms) - TERMS_LISTED} more" if len(terms) > TERMS_LISTED else ""
    return f"The glossary has no entry for “{asked}”. It defines: {listed}{more}."
