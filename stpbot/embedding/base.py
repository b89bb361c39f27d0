"""What every embedding backend offers the indexer and the retriever."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

Progress = Callable[[int], None]

# A batch holds at most this many characters of padded text (its longest text times
# its size): on 2 cores ONNX Runtime's MiniLM runs 15-19k tokens/s in batches of
# 500-1,500 tokens, and 7-12k tokens/s in batches of 64 texts of 100-200 tokens.
BATCH_CHARACTERS = 6_000


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
        import numpy as np

        # Batches of similar length waste no work on padding, and long texts go in
        # small batches; order is restored after.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for rows in _batches(order, [len(t) for t in texts], self.batch_size):
            out[rows] = encode([texts[i] for i in rows])
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
