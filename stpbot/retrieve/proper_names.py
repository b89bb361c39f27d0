"""Proper names a question mentions, and the few passages that contain them.

A sentence-embedding model knows little of a name it never saw in training, so
"What did Paul Briddock say?" is no closer in meaning to the one passage quoting
him than to unrelated ones (0.28 against 0.30), and the answer gate turned it
away. A rare name written out in full is better evidence than that: a passage
holding it is about what the question asks.

A run of the question's words is a name when a passage writes those words as two or more
capitalised words (the first may be a short number: "38 Degrees"), or as an acronym; one
capitalised word alone might be anything ("Birmingham" the city). People type "who is
paul briddock" as often as they capitalise it, so the question's case is forgiven, but
only for a run holding a word the model does not know: written in lower case, "social
care" is the phrase, not the "Social Care" of an act's name. An acronym the glossary
defines (CCG, CVS) is vocabulary that the glossary and the model read for its meaning,
not a pointer to the few passages that use it. A name on every page ("NHS England") says
nothing about which passage answers, so only names few passages hold count.

The other way round, a name the question writes that the collection never does ("What
did Jeremy Hunt say about STPs?") cannot be matched by any passage: the gate counts its
words as unmatched (`unwritten_names`), however alike their token states look.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stpbot.index.lexical import query_tokens

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    import numpy as np

    from stpbot.chunk.chunking import Passage
    from stpbot.index.lexical import LexicalIndex

# A name held by more passages than this is common in the collection, not a pointer.
MOST_PASSAGES = 8
# Passages read to check a name word for word: those holding its rarest word.
MOST_READ = 32
# The longest name looked for, in words ("Health and Social Care Act" has five).
LONGEST = 5

_WORD = r"(?:[A-Z][a-z]+(?:['’]s)?|[A-Z]{2,}s?)"
# A name may hold a short number ("38 Degrees", "Radio 4 Today"), not a year, and at
# least one word.
_NUMBER = r"(?<![\w.,])[0-9]{1,3}(?![\w.,])"
_NAME = re.compile(rf"(?:{_NUMBER}[ \t]+)*{_WORD}(?:[ \t]+(?:{_WORD}|{_NUMBER}(?=[ \t]+[A-Z])))*")
_ACRONYM = re.compile(r"[A-Z]{3,}s?")
# A year, or a financial year ("2017/18"): as specific as a name.
_YEAR = re.compile(r"(?<![\w/.,])(?:19|20)[0-9]{2}(?:/[0-9]{2})?(?![\w/]|[.,][0-9])")
_QUESTION_WORD = re.compile(r"[A-Za-z0-9][\w'’&-]*")
# Words capitalised only because they open a sentence or a clause; never part of a
# name at either end.
_OPENERS = frozenset(
    (  # noqa: SIM905 (a list of 47 one-word strings reads worse)
        "What Who Whom Whose Why When Where Which How Is Are Was Were Can Could Did Does Do "
        "Should Would Will Has Have Had Tell Explain Describe List Give Show Please According "
        "The A An In On At Of For About And Or But If Any Some"
    ).split()
)
_LOWER_OPENERS = frozenset(word.lower() for word in _OPENERS)
_BEFORE_NAME = re.compile(r"([A-Z][\w’']*)[ \t]+$")


def _is_name(words: str) -> bool:
    """Whether `words`, as a passage writes them, read as a proper name."""
    if not _NAME.fullmatch(words):
        return False
    parts = words.split()
    if parts[0] in _OPENERS or parts[-1] in _OPENERS:
        return False
    return len(parts) >= 2 or bool(_ACRONYM.fullmatch(parts[0]))


def _pattern(words: str) -> str:
    """A pattern for `words` in any case, each with or without its possessive ("kings
    fund" finds "King’s Fund", "Hopson's" finds "Hopson")."""
    parts = []
    for word in words.split():
        base = re.sub(r"['’]s$", "", word)
        forms = [re.escape(base)]
        if len(base) > 3 and base.endswith("s"):
            forms.append(re.escape(base[:-1]))
        parts.append(f"(?:{'|'.join(forms)})(?:['’]s)?")
    return r"(?<!\w)" + r"[ \t]+".join(parts) + r"(?!\w)"


def _written_as_name(text: str, words: re.Pattern[str]) -> str | None:
    """How `text` writes the `words` a pattern finds as a proper name, and not as the
    tail of a longer name ("Care Act" in "the Health and Social Care Act" names another
    act); None when it never does."""
    for match in words.finditer(text):
        written = match.group()
        if not _is_name(written):
            continue
        before = _BEFORE_NAME.search(text, 0, match.start())
        if before is None or before.group(1) in _OPENERS:
            return written
    return None


def _runs(question: str) -> Iterator[str]:
    """Runs of two to `LONGEST` of the question's words, and its single words, that
    could be a name: none starts or ends with a question's opening word."""
    words = [w.rstrip("?!.,;:-") for w in _QUESTION_WORD.findall(question)]
    words = [w for w in words if w]
    for i in range(len(words)):
        for j in range(i + 1, min(i + LONGEST, len(words)) + 1):
            run = words[i:j]
            if run[0].lower() in _LOWER_OPENERS or run[-1].lower() in _LOWER_OPENERS:
                continue
            yield " ".join(run)


def named_rows(
    question: str,
    lexical: LexicalIndex,
    passages: Sequence[Passage],
    defined: Callable[[str], bool] = lambda _: False,
    known: Callable[[str], bool] = lambda _: False,
) -> np.ndarray:
    """Rows of the passages that write out, as a name, a rare name the question
    mentions (for each name at most `MOST_PASSAGES` of them); sorted.

    `defined` tells an acronym the glossary explains, which does not count; `known`,
    a word the model knows, which a run typed in lower case needs one word not to be.
    """
    import numpy as np

    found: set[int] = set()
    for run in dict.fromkeys(_runs(question)):
        if not _is_name(run) and all(known(word) for word in run.split()):
            continue
        rows = lexical.rows_with_rarest(query_tokens(run), MOST_READ)
        if rows is None or rows.size == 0:
            continue
        holding = []
        pattern = re.compile(_pattern(run), re.IGNORECASE)
        for row in rows.tolist():
            written = _written_as_name(passages[row].spoken, pattern)
            if written is not None and not (" " not in written and defined(written)):
                holding.append(row)
        if 0 < len(holding) <= MOST_PASSAGES:
            found.update(holding)
    return np.array(sorted(found), dtype=np.int64)


def _written(
    words: Sequence[str], lexical: LexicalIndex, passages: Sequence[Passage], captions: str
) -> bool:
    """Whether a passage or a document's caption writes `words`, in any case. A run
    whose rarest word many passages hold counts as written, unread."""
    run = " ".join(words)
    pattern = re.compile(_pattern(run), re.IGNORECASE)
    rows = lexical.rows_with_rarest(query_tokens(run), MOST_READ)
    if rows is None:
        return True
    if any(pattern.search(passages[row].spoken) for row in rows.tolist()):
        return True
    return pattern.search(captions) is not None


@dataclass(frozen=True, slots=True)
class NameRun:
    """A name the question writes, as lower-case word pieces ("Plan's": "plan", "s"),
    and which of them the collection never writes as part of it."""

    pieces: tuple[str, ...]
    unwritten: tuple[bool, ...]


def _pieces(word: str) -> list[str]:
    """A word as the model's lower-case, accent-free tokenizer splits it into words."""
    plain = unicodedata.normalize("NFKD", word.lower())
    return re.findall(r"[a-z0-9]+", "".join(c for c in plain if not unicodedata.combining(c)))


def unwritten_names(
    question: str, lexical: LexicalIndex, passages: Sequence[Passage], captions: str
) -> tuple[NameRun, ...]:
    """Names the question writes as two or more capitalised words, some of whose words
    no passage nor caption (`captions`, their text) writes as part of them; and years
    ("since 2010", "2017/18") that none writes.

    A word counts as written when a run of two or more of the name's words holding it
    is, so "38 Degrees Nuffield Trust" is two names the briefings hold. A question in
    capitals or title case says nothing by its capitals: only its years count.
    """
    out: list[NameRun] = []
    for year in dict.fromkeys(_YEAR.findall(question)):
        if not _written([year], lexical, passages, captions):
            digits = tuple(_pieces(year))
            out.append(NameRun(digits, (True,) * len(digits)))
    if not re.search(r"(?<![\w'’])[a-z]", question):
        return tuple(out)
    for match in _NAME.finditer(question):
        parts = match.group().split()
        while parts and parts[0] in _OPENERS:
            parts = parts[1:]
        while parts and parts[-1] in _OPENERS:
            parts = parts[:-1]
        if len(parts) < 2:
            continue
        covered = [False] * len(parts)
        for i in range(len(parts) - 1):
            for j in range(len(parts), i + 1, -1):
                if all(covered[i:j]):
                    break
                if _written(parts[i:j], lexical, passages, captions):
                    covered[i:j] = [True] * (j - i)
                    break
        pieces: list[str] = []
        unwritten: list[bool] = []
        for word, known in zip(parts, covered, strict=True):
            acronym = _ACRONYM.fullmatch(word) is not None
            missing = not known and not (acronym and _written([word], lexical, passages, captions))
            split = _pieces(word)
            pieces += split
            unwritten += [missing] * len(split)
        if any(unwritten):
            out.append(NameRun(tuple(pieces), tuple(unwritten)))
    return tuple(out)


def unwritten_mask(names: Sequence[NameRun], words: Sequence[str]) -> np.ndarray:
    """Which tokens (by `words`, the whole word each is a piece of) belong to an unwritten
    word of `names`, where the name's words stand together in the question."""
    import numpy as np

    mask = np.zeros(len(words), dtype=bool)
    # Consecutive tokens of one word are one word here; positions keep its tokens.
    spans: list[tuple[str, list[int]]] = []
    for at, word in enumerate(words):
        if spans and spans[-1][0] == word:
            spans[-1][1].append(at)
        else:
            spans.append((word, [at]))
    said = [word for word, _ in spans]
    for name in names:
        n = len(name.pieces)
        for start in range(len(said) - n + 1):
            if tuple(said[start : start + n]) == name.pieces:
                for k, missing in enumerate(name.unwritten):
                    if missing:
                        mask[spans[start + k][1]] = True
    return mask
