"""Proper names a question mentions, and the few passages that contain them.

A sentence-embedding model knows little of a name it never saw in training, so
"What did Paul Briddock say?" is no closer in meaning to the one passage quoting
him than to unrelated ones (0.28 against 0.30), and the answer gate turned it
away. A rare name written out in full is better evidence than that: a passage
holding it is about what the question asks. Only names of two or more capitalised words, or an
acronym, count ("Birmingham" alone might be the city in any question), and only
when few passages hold them: a name on every page ("NHS England") says nothing
about which one answers.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from stpbot.index.lexical import query_tokens

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

    from stpbot.chunk.chunking import Passage
    from stpbot.index.lexical import LexicalIndex

# A name held by more passages than this is common in the collection, not a pointer.
MOST_PASSAGES = 8
# Passages read to check a name word for word: those holding its rarest word.
MOST_READ = 32

_WORD = r"(?:[A-Z][a-z]+(?:['’]s)?|[A-Z]{2,}s?)"
_RUN = re.compile(rf"\b{_WORD}(?:[ \t]+{_WORD})*\b")
_ACRONYM = re.compile(r"[A-Z]{3,}s?")
# Capitalised only because they open a question or a clause.
_OPENERS = frozenset(
    (  # noqa: SIM905 (a list of 47 one-word strings reads worse)
        "What Who Whom Whose Why When Where Which How Is Are Was Were Can Could Did Does Do "
        "Should Would Will Has Have Had Tell Explain Describe List Give Show Please According "
        "The A An In On At Of For About And Or But If Any Some"
    ).split()
)


def proper_names(question: str) -> list[str]:
    """Runs of two or more capitalised words, and acronyms of three or more letters,
    leaving out the words that are capitalised only for opening the question."""
    names = []
    for match in _RUN.finditer(question):
        words = match.group().split()
        while words and words[0] in _OPENERS:
            words.pop(0)
        if len(words) >= 2 or (len(words) == 1 and _ACRONYM.fullmatch(words[0])):
            names.append(" ".join(words))
    return names


_BEFORE_NAME = re.compile(r"([A-Z][\w’']*)[ \t]+$")


def _holds(text: str, name: str) -> bool:
    """Whether `text` holds `name` word for word, and not as the tail of a longer name
    ("Care Act" in "the Health and Social Care Act" names another act)."""
    for match in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text):
        before = _BEFORE_NAME.search(text, 0, match.start())
        if before is None or before.group(1) in _OPENERS:
            return True
    return False


def named_rows(question: str, lexical: LexicalIndex, passages: Sequence[Passage]) -> np.ndarray:
    """Rows of the passages that hold, word for word, a rare name the question
    mentions (for each name at most `MOST_PASSAGES` of them); sorted."""
    import numpy as np

    found: set[int] = set()
    for name in proper_names(question):
        rows = lexical.rows_with_rarest(query_tokens(name), MOST_READ)
        if rows is None:
            continue
        holding = [int(r) for r in rows if _holds(passages[int(r)].spoken, name)]
        if 0 < len(holding) <= MOST_PASSAGES:
            found.update(holding)
    return np.array(sorted(found), dtype=np.int64)
