"""How much a word of a question tells: its information, from its frequency in English.

The gate weighs each question word by how rare it is in English at large, not in the
briefings: "what", "did" and "actually" say little whatever the collection, while
"purdah" or "continuing healthcare" carry the question. A small collection cannot tell
the two apart by its own counts (a word it never uses looks as rare as a name), so the
weights come from wordfreq's English word list, the same for every collection.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

# wordfreq's Zipf scale is log10 of a word's frequency per billion words, so this less
# the Zipf value is -log10 of its frequency: 0 for a word of every sentence, 9 for a
# word wordfreq never saw (a rare surname, a typo).
NEVER_SEEN = 9.0


@lru_cache(maxsize=65_536)
def information(word: str) -> float:
    """-log10 of `word`'s frequency in English (0 to `NEVER_SEEN`)."""
    from wordfreq import zipf_frequency

    return NEVER_SEEN - float(zipf_frequency(word, "en"))


def load() -> None:
    """Read the word list now (a third of a second) rather than on the first question."""
    information("the")


def _words(pieces: Sequence[str]) -> list[list[int]]:
    """The positions of each whole word's pieces ("##" continues a word)."""
    words: list[list[int]] = []
    for at, piece in enumerate(pieces):
        if piece.startswith("##") and words:
            words[-1].append(at)
        else:
            words.append([at])
    return words


def _spelled(pieces: Sequence[str], word: list[int]) -> str:
    return "".join(pieces[at].removeprefix("##") for at in word)


def token_words(pieces: Sequence[str]) -> list[str]:
    """The whole word each token is a piece of ("br", "##id", "##dock": "briddock")."""
    out = [""] * len(pieces)
    for word in _words(pieces):
        text = _spelled(pieces, word)
        for at in word:
            out[at] = text
    return out


def token_weights(pieces: Sequence[str]) -> np.ndarray:
    """Each question token's share of its word's information. A word the tokenizer
    splits ("briddock": "br", "##id", "##dock") weighs once, spread over its pieces."""
    import numpy as np

    weights = np.zeros(len(pieces), dtype=np.float32)
    for word in _words(pieces):
        weights[word] = information(_spelled(pieces, word)) / len(word)
    return weights
