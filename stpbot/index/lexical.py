"""BM25 keyword search over passages (bm25s with an English stemmer)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Collection

    import numpy as np


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


# bm25s's own defaults, repeated so a single query skips its batch machinery (which
# builds progress bars even when hidden); tests hold the two to the same tokens.
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def query_tokens(text: str) -> list[str]:
    """The tokens of one query, exactly as `tokenize` would give them."""
    stop = _stopwords()
    words = [w for w in _TOKEN.findall(text.lower()) if w not in stop]
    return list(_stemmer().stemWords(words)) if words else []


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, stemmed tokens, as the index and queries use them."""
    import bm25s

    tokens = bm25s.tokenize(
        texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False
    )
    return [list(t) for t in tokens]


class LexicalIndex:
    """A BM25 index whose rows line up with the passage store."""

    def __init__(self, model: Any, size: int) -> None:
        self._model = model
        self.size = size

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        import bm25s

        model = bm25s.BM25()
        # bm25s keeps the vocabulary when given string tokens, so queries need no ids.
        model.index(tokenize(texts), show_progress=False)
        return cls(model, len(texts))

    def save(self, folder: Path) -> None:
        self._model.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> LexicalIndex:
        import bm25s

        # Memory-mapped: a large index pages in the postings a question touches, not all.
        model = bm25s.BM25.load(str(folder), mmap=True, show_progress=False, verbosity=0)
        return cls(model, size)

    @property
    def vocabulary(self) -> Collection[str]:
        """Every token some passage holds (stemmed, as `query_tokens` gives them)."""
        vocab: Collection[str] = self._model.vocab_dict
        return vocab

    def scores(self, query: list[str]) -> np.ndarray:
        """BM25 score of every passage for the query's tokens (zeros when none is known)."""
        import numpy as np

        model = self._model
        vocab = model.vocab_dict
        ids = [vocab[t] for t in query if t in vocab]
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        if getattr(model, "nonoccurrence_array", None) is not None:  # BM25L and BM25+
            return np.asarray(model.get_scores(ids), dtype=np.float32)
        # bm25s stores each token's precomputed per-passage scores (a sparse column).
        # Each column is added in place with np.add.at, which copies nothing (a bincount
        # over the joined columns was several times slower; docs/benchmarks.md). The sums
        # are float32, as bm25s's own: near-ties may round differently from float64.
        # np.asarray: plain views of the mapped arrays, as numpy's memmap subclass costs
        # microseconds on every slice.
        data, indices, indptr = (np.asarray(model.scores[k]) for k in ("data", "indices", "indptr"))
        scores = np.zeros(self.size, dtype=np.float32)
        for i in ids:
            a, b = int(indptr[i]), int(indptr[i + 1])
            np.add.at(scores, indices[a:b], data[a:b])
        return scores

    def rows_with_rarest(self, query: list[str], most: int) -> np.ndarray | None:
        """The passages holding the query's rarest token: none when a token is unknown
        (no passage holds them all), None when even the rarest is in over `most`."""
        import numpy as np

        vocab = self._model.vocab_dict
        if not query:
            return None
        if any(t not in vocab for t in query):
            return np.zeros(0, dtype=np.int64)
        indptr = np.asarray(self._model.scores["indptr"])
        counts = [(int(indptr[vocab[t] + 1] - indptr[vocab[t]]), vocab[t]) for t in query]
        count, rarest = min(counts)
        if count > most:
            return None
        a = int(indptr[rarest])
        return np.asarray(self._model.scores["indices"][a : a + count], dtype=np.int64)
