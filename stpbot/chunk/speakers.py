"""Who speaks in paragraphs that quote someone without naming them.

News and briefing prose names a speaker once ("Sir Bruce said: ‘...") and then runs
the quote on over paragraphs that open with a quotation mark, or attributes later
ones with a pronoun ("He added: ..."). A passage quoted from such a paragraph needs
its speaker restored; a few regular expressions find it.
"""

from __future__ import annotations

import re

_VERB = (
    r"(?:said|says|added|adds|commented|explained|explains|warned|warns|noted|argued|"
    r"argues|stated|continued|concluded|insisted|insists|told|tells)"
)
_TITLES = {"Sir", "Dame", "Dr", "Professor", "Prof", "Lord", "Lady", "Baroness", "Cllr"}
_TITLES |= {"Mr", "Mrs", "Ms", "Dr.", "Mr.", "Mrs.", "Ms.", "Prof."}
# A capitalised word, apostrophes and hyphens inside it ("O'Brien", "King’s"), or an
# abbreviated title whose full stop does not end the sentence.
_WORD = r"(?:(?:Dr|Mr|Mrs|Ms|Prof)\.|[A-ZÀ-Þ]\w*(?:[’'-][^\W\d_]\w*)*)"
_PARTICLES = ("of", "the", "de", "van", "von", "der", "den", "du", "da", "di", "del", "la", "le")
_PARTICLE = "(?:" + "|".join(_PARTICLES) + ")"
_NAME = rf"(?<![\w’'-]){_WORD}(?:\s+(?:{_PARTICLE}\s+)*{_WORD})*"

# "NAME said", "NAME, TITLE AT ORG, said", "the chief executive, NAME, said",
# "NAME (pictured) has also said".
_BEFORE = re.compile(
    rf"({_NAME})(?:,[^,;:.‘“\"]{{1,80}},|,)?\s+(?:\([^)]*\)\s+)?"
    rf"(?:(?:has|had|have|also|already|then|later)\s+)*{_VERB}\b"
)
# "“...,” said NAME" and "..., says NAME".
_AFTER = re.compile(rf"[,”’'\"]\s*{_VERB}\s+({_NAME})")
_ACCORDING = re.compile(rf"\b[Aa]ccording\s+to\s+({_NAME})")
_PRONOUN = re.compile(
    rf"(?<![\w’'])(?:[Hh]e|[Ss]he|[Tt]hey)\s+(?:(?:has|had|have|also|then|later)\s+)*{_VERB}\b"
)
_ANY_VERB = re.compile(rf"\b{_VERB}\b")

# Capitalised only because they begin a sentence or clause: never the start of a name.
_LEADING = {"However", "But", "And", "So", "Yet", "Also", "Then", "Still", "Indeed", "Instead"}
_LEADING |= {"Now", "Today", "Yesterday", "Meanwhile", "Finally", "Earlier", "Later", "Last"}
_LEADING |= {"In", "On", "At", "For", "As", "When", "While", "After", "Before", "Next"}
_LEADING |= {"Separately", "Speaking", "Writing", "Asked", "This", "That", "These", "Those"}
_LEADING |= {"It", "He", "She", "They", "We", "I", "You", "A", "An"}
_LEADING |= set(_PARTICLES)
# Documents "say" things too, but a quote from one is not a person's or body's words.
_DOCUMENTS = {"Report", "Review", "Plan", "Paper", "Study", "Survey", "Guidance", "Note"}
_OPENING = "‘“"
_MARKS = "‘“'\""


def _clean(name: str) -> str | None:
    """The name without sentence-initial words before it, or None if nothing is left."""
    words = name.split()
    titled = [i for i, word in enumerate(words) if word in _TITLES]
    # A title starts a name: "On Monday Sir Bruce" is "Sir Bruce".
    if titled:
        words = words[titled[0] :]
    while words and words[0] in _LEADING:
        words = words[1:]
    if not words or words[-1] in _DOCUMENTS:
        return None
    return " ".join(words).rstrip(",")


def _named(outside: str) -> str | None:
    """The speaker this text (quoted words removed) names, if any."""
    for pattern in (_BEFORE, _AFTER, _ACCORDING):
        for match in pattern.finditer(outside):
            if name := _clean(match.group(1)):
                return name
    return None


def _scan(text: str, open_at_start: bool) -> tuple[str, bool]:
    """The text outside quotation marks (marks kept), and whether a quote is still open."""
    depth, outside = int(open_at_start), []
    for i, char in enumerate(text):
        before = text[i - 1] if i else " "
        after = text[i + 1] if i + 1 < len(text) else " "
        # Straight marks open after a space; ’ and ' close only before a space or
        # punctuation, so the apostrophes in "we’ve" and "King’s" are neither.
        opens = char in _OPENING or (char in "'\"" and (before.isspace() or before in "([—–"))
        closes = char in "”’'\"" and not before.isspace() and not after.isalnum()
        if opens and not after.isspace():
            depth += 1
            if depth == 1:
                outside.append(char)
        elif closes and depth:
            depth -= 1
            if depth == 0:
                outside.append(char)
        elif depth == 0:
            outside.append(char)
    return "".join(outside), depth > 0


def attributed(text: str) -> bool:
    """Whether a paragraph names who says it (so it needs no speaker added)."""
    return _named(_scan(text, False)[0]) is not None


def speakers(paragraphs: list[str]) -> list[str | None]:
    """For each paragraph, the person (or body) whose words it quotes when the paragraph
    itself does not name them, else None."""
    result: list[str | None] = []
    current: str | None = None
    was_open = False
    for text in paragraphs:
        reopens = text.lstrip()[:1] in _MARKS
        # British style reopens the quote on each paragraph it runs on to; a
        # paragraph that does not is still inside the quote left open before it.
        outside, still_open = _scan(text, was_open and not reopens)
        speaker: str | None = None
        if name := _named(outside):
            current = name
        # A pronoun points back to the last name, and so does a quote running on,
        # unless it credits someone unnamed ("‘...,’ the report said").
        elif _PRONOUN.search(outside) or ((reopens or was_open) and not _ANY_VERB.search(outside)):
            speaker = current
        else:
            current = None
        result.append(speaker)
        was_open = still_open
    return result
