"""What every embedding backend offers the indexer and the retriever."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

Progress = Callable[[int], None]

# A batch holds at most this many characters of padded text (its longest text times
# its size): on 2 cores ONNX Runtime's MiniLM runs 15-19k tokens/s in batches of
# 500-1,500 tokens, and 7-12k tokens/s in batches of 64 texts of 100-200 tokens.
BATCH_CHARACTERS = 6_000


@dataclass(frozen=True, slots=True)
class Tokens:
    """A text's token states as unit rows, with their vocabulary ids; special tokens and
    punctuation are left out, having no meaning of their own to match.

    A question's rows are float32; a passage's, for the index, int8 with a scale each
    (`quantised`), so that a build holds a quarter of the memory.
    """

    vectors: np.ndarray  # (tokens, dimension)
    ids: np.ndarray  # (tokens,) int32
    scales: np.ndarray | None = None  # (tokens,) float32 when `vectors` is int8


def quantised(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Int8 rows and the scale of each, row ~= int8 row * scale (off by under 0.4 %)."""
    import numpy as np

    wide = np.asarray(rows, dtype=np.float32)
    scales = np.maximum(np.abs(wide).max(axis=1, initial=0.0), 1e-12) / 127
    return np.rint(wide / scales[:, None]).astype(np.int8), scales.astype(np.float32)


class Embedder(ABC):
    """Turns texts into unit-length float32 vectors (so inner product is cosine)."""

    backend: str

    def __init__(self, name: str, batch_size: int = 64) -> None:
        self.name = name
        self.batch_size = batch_size

    @property
    @abstractmethod
    def dimension(self) -> int:
        """Length of each vector."""

    @property
    @abstractmethod
    def loaded(self) -> bool:
        """Whether the model is in memory (it loads on first use, or on `load()`)."""

    @property
    def prepared(self) -> bool:
        """False when loading will first do slow one-off work (an ONNX export)."""
        return True

    @property
    def mean_pooled(self) -> bool:
        """Whether `embed_sums` is offered: the model mean-pools its token states."""
        return False

    @abstractmethod
    def _encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for one batch, shape (len(texts), dimension)."""

    def _sums(self, texts: list[str]) -> np.ndarray:
        """Each text's token states summed, for one batch (mean-pooling models only)."""
        raise NotImplementedError(f"{type(self).__name__} does not sum token states")

    @property
    def offers_tokens(self) -> bool:
        """Whether the backend hands out token states (`_token_states`, `_vocabulary`)."""
        return False

    def _token_states(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each text's last hidden states, padding left out, and its token ids."""
        raise NotImplementedError(f"{type(self).__name__} does not hand out token states")

    def _vocabulary(self) -> tuple[list[str], set[int]]:
        """The tokenizer's tokens by id, and the ids of its special tokens."""
        raise NotImplementedError(f"{type(self).__name__} has no vocabulary to give")

    @cached_property
    def _meaningful(self) -> np.ndarray:
        """By token id: whether a token is a word or a piece of one (not [CLS], not "?")."""
        import numpy as np

        tokens, special = self._vocabulary()
        return np.array(
            [i not in special and any(c.isalnum() for c in t) for i, t in enumerate(tokens)],
            dtype=bool,
        )

    @cached_property
    def _token_strings(self) -> list[str]:
        return self._vocabulary()[0]

    def token_texts(self, ids: np.ndarray) -> list[str]:
        """The vocabulary's spelling of each token id ("##" opens a piece of a word)."""
        strings = self._token_strings
        return [strings[i] if 0 <= i < len(strings) else "" for i in ids.tolist()]

    @cached_property
    def _whole_words(self) -> frozenset[str]:
        return frozenset(t for t in self._token_strings if t.isalpha())  # pieces start "##"

    def knows_word(self, word: str) -> bool:
        """Whether the model reads `word` as one token of its vocabulary, a word it met
        often in training; one it splits into pieces (a rare surname) it knows little
        of. False where the backend hands out no vocabulary."""
        if not self.offers_tokens:
            return False
        return word in self._whole_words or word.lower() in self._whole_words

    def _tokens(self, states: np.ndarray, ids: np.ndarray, *, packed: bool) -> Tokens:
        """The word tokens of one text as unit rows; `packed`: int8 with scales."""
        import numpy as np

        ids = np.asarray(ids, dtype=np.int64)
        meaningful = self._meaningful
        keep = meaningful[np.minimum(ids, meaningful.size - 1)] & (ids < meaningful.size)
        kept = np.asarray(states[keep], dtype=np.float32)
        kept /= np.maximum(np.linalg.norm(kept, axis=1, keepdims=True), 1e-12)
        if packed:
            rows, scales = quantised(kept)
            return Tokens(rows, ids[keep].astype(np.int32), scales)
        return Tokens(kept, ids[keep].astype(np.int32))

    def embed_query_tokens(self, text: str) -> tuple[np.ndarray, Tokens]:
        """A query vector, as `embed_query` gives it, and the query's tokens; one pass of
        the model for a mean-pooling one."""
        import numpy as np

        [(states, ids)] = self._token_states([text])
        if self.mean_pooled:
            summed = np.asarray(states, dtype=np.float32).sum(axis=0)
            vector = summed / max(float(np.linalg.norm(summed)), 1e-12)
        else:
            vector = self.embed_query(text)
        return np.asarray(vector, dtype=np.float32), self._tokens(states, ids, packed=False)

    def embed_sums_and_tokens(
        self, texts: Sequence[str], wanted: Sequence[bool], progress: Progress | None = None
    ) -> tuple[np.ndarray, dict[int, Tokens]]:
        """`embed_sums`, and the tokens (packed) of the texts `wanted` marks, from the
        same pass of the model."""
        import numpy as np

        tokens: dict[int, Tokens] = {}

        def sums_keeping(batch: list[int]) -> np.ndarray:
            states = self._token_states([texts[i] for i in batch])
            for i, (hidden, ids) in zip(batch, states, strict=True):
                if wanted[i]:
                    tokens[i] = self._tokens(hidden, ids, packed=True)
            return np.stack([np.asarray(h, dtype=np.float32).sum(axis=0) for h, _ in states])

        sums = self._batched_rows(sums_keeping, texts, progress)
        return sums, tokens

    def embed_tokens(self, texts: Sequence[str]) -> list[Tokens]:
        """Each text's tokens (packed), for a model whose vectors are not token sums."""
        out: list[Tokens] = []
        for batch in _batches(list(range(len(texts))), [len(t) for t in texts], self.batch_size):
            states = self._token_states([texts[i] for i in batch])
            out += [self._tokens(hidden, ids, packed=True) for hidden, ids in states]
        return out

    def load(self) -> None:
        """Load the model now rather than on the first question."""
        self._encode(["warm up"])

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Embed `texts` in batches, calling `progress(n)` after each batch of n."""
        return self._batched(self._encode, texts, progress)

    def embed_sums(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Each text's token states summed: mean pooling before its division.

        Normalised, a row is the text's embedding; the sum of two rows, normalised,
        is what mean pooling gives for the two texts' tokens together.
        """
        return self._batched(self._sums, texts, progress)

    def _batched(
        self,
        encode: Callable[[list[str]], np.ndarray],
        texts: Sequence[str],
        progress: Progress | None,
    ) -> np.ndarray:
        return self._batched_rows(lambda rows: encode([texts[i] for i in rows]), texts, progress)

    def _batched_rows(
        self,
        encode: Callable[[list[int]], np.ndarray],
        texts: Sequence[str],
        progress: Progress | None,
    ) -> np.ndarray:
        import numpy as np

        # Batches of similar length waste no work on padding, and long texts go in
        # small batches; order is restored after.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for rows in _batches(order, [len(t) for t in texts], self.batch_size):
            out[rows] = encode(rows)
            if progress is not None:
                progress(len(rows))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """One query vector, shape (dimension,)."""
        vector: np.ndarray = self._encode([text])[0]
        return vector


def _batches(order: list[int], lengths: list[int], most: int) -> list[list[int]]:
    """Split `order` (shortest first) into runs of at most `most` texts whose padded
    size stays within `BATCH_CHARACTERS`; a text longer than that goes alone."""
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        # Sorted by length, so this text is the longest of the batch so far.
        if current and (len(current) >= most or (len(current) + 1) * lengths[i] > BATCH_CHARACTERS):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches
