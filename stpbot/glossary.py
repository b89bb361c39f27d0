"""The NHS glossary (`knowledge/glossary.yaml`): acronyms and the synonyms people use.

Retrieval uses it to bridge a question's words and the briefings': a question about
"CVSs" also searches for "council for voluntary service", one about "charities" for
"voluntary sector". `stpbot glossary TERM` and `/stp define TERM` show an entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError

from stpbot.errors import StpbotError

GLOSSARY_FILE = "glossary.yaml"


class Entry(BaseModel):
    """One term: what it stands for (an acronym's words), what it means, its synonyms."""

    term: str = Field(min_length=1)
    stands_for: str | None = None
    means: str = Field(min_length=1)
    also: list[str] = Field(default_factory=list)

    @property
    def names(self) -> list[str]:
        """Every way of writing the term: itself, its expansion and its synonyms."""
        return [self.term, *([self.stands_for] if self.stands_for else []), *self.also]


class _File(BaseModel):
    entries: list[Entry]


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9&]+", text.lower()))


def _plural(word: str) -> str:
    return f"{word}s"


@dataclass(frozen=True)
class Glossary:
    """The entries, found by any of their names."""

    entries: tuple[Entry, ...] = ()

    @cached_property
    def _by_name(self) -> dict[str, Entry]:
        found: dict[str, Entry] = {}
        # A term's own name wins over another entry's synonym, then what it stands for.
        ranked = [(e.term, e) for e in self.entries]
        ranked += [(e.stands_for, e) for e in self.entries if e.stands_for]
        ranked += [(name, e) for e in self.entries for name in e.also]
        for name, entry in ranked:
            key = _words(name)
            found.setdefault(key, entry)
            found.setdefault(_plural(key), entry)  # CCGs, trusts
        return found

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        keys = sorted(self._by_name, key=len, reverse=True)
        if not keys:
            return None
        return re.compile(r"(?<![a-z0-9&])(" + "|".join(map(re.escape, keys)) + r")(?![a-z0-9&])")

    def lookup(self, term: str) -> Entry | None:
        """The entry `term` names (case and plural forgiven), or None."""
        return self._by_name.get(_words(term))

    def mentions(self, text: str) -> list[tuple[str, Entry]]:
        """Each glossary name `text` uses (as the glossary spells it) with its entry."""
        if self._pattern is None:
            return []
        return [
            (m.group(1), self._by_name[m.group(1)]) for m in self._pattern.finditer(_words(text))
        ]

    def bridge(self, text: str, known: Callable[[str], bool]) -> list[str]:
        """Other names, `known` to the collection, of each term `text` names in words the
        collection does not use: what a search for `text` should also look for.

        Only gaps are bridged: a term the briefings use as the question does ("STP")
        needs no help, and widening every question by its synonyms blurs it.
        """
        extra: list[str] = []
        for said, entry in self.mentions(text):
            if known(said):
                continue
            for name in entry.names:
                if _words(name) != said and known(name) and name not in extra:
                    extra.append(name)
        return extra


def load_glossary(knowledge_dir: Path) -> Glossary:
    """The glossary in the knowledge folder; empty when there is none."""
    path = knowledge_dir / GLOSSARY_FILE
    if not path.is_file():
        return Glossary()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {"entries": []}
        return Glossary(tuple(_File.model_validate(data).entries))
    except (yaml.YAMLError, ValidationError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0]
        raise StpbotError(f"{path} is not a valid glossary: {first}") from exc
