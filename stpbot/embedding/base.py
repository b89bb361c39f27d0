"""What every embedding backend offers the indexer and the retriever."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

Progress = Callable[[int], None]


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

    @abstractmethod
    def _encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for one batch, shape (len(texts), dimension)."""

    def load(self) -> None:
        """Load the model now rather than on the first question."""
        self._encode(["warm up"])

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Embed `texts` in batches, calling `progress(n)` after each batch of n."""
        import numpy as np

        # Batches of similar length waste no work on padding; order is restored after.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            out[rows] = self._encode([texts[i] for i in rows])
            if progress is not None:
                progress(len(rows))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """One query vector, shape (dimension,)."""
        vector: np.ndarray = self._encode([text])[0]
        return vector
