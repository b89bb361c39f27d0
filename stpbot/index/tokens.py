"""Each passage's token states, kept from the build's pass of the model, for late
interaction (retrieve/late.py).

Int8 rows with a scale each (`embedding.base.quantised`), memory-mapped: a question
reads the few dozen passages it reranks, not the file. Int8 rather than float16
because numpy widens int8 to float32 for the product about fifteen times faster, and
it halves the file; a cosine moves by well under 0.01. The store costs about 390
bytes a token (MiniLM's 384 dimensions), so it is only kept for collections up to
`DEFAULT_TOKEN_PASSAGES` passages; a larger one is ranked without it.

Beside the passages it keeps the tokens of their captions: what a reader sees above a
passage (its document's title, publisher and author, and its section heading). A
passage rarely repeats them ("The report says ..."), yet a question often asks by
them ("What does the King's Fund say ..."); late interaction reads them with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from stpbot.embedding.base import Tokens, quantised

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    import numpy as np

VECTORS = "tokens.npy"
SCALES = "token_scales.npy"
IDS = "token_ids.npy"
STARTS = "token_starts.npy"
FOLLOWS = "token_follows.npy"
# The captions' own store is saved beside it under this prefix, with each passage's row.
CAPTION_PREFIX = "caption_"
CAPTION_OF = "caption_of.npy"


@dataclass
class TokenStore:
    """Token vectors of every passage; passage i owns rows starts[i]:starts[i + 1].

    `follows[i]` says passage i has one before it in the same document, whose tokens
    late interaction also reads (that passage often names who or what "it" is).
    """

    vectors: np.ndarray  # (tokens, dimension) int8; a row times its scale is a unit vector
    scales: np.ndarray  # (tokens,) float32
    ids: np.ndarray  # (tokens,) int32
    starts: np.ndarray  # (passages + 1,) int64
    follows: np.ndarray  # (passages,) bool
    captions: Captions | None = None
    _idf: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def of(
        cls,
        tokens: Sequence[Tokens],
        follows: Sequence[bool],
        dimension: int,
        captions: Captions | None = None,
    ) -> TokenStore:
        """The store of these passages' tokens, in passage order."""
        import numpy as np

        counts = [t.ids.size for t in tokens]
        starts = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]).astype(np.int64)
        # Filled in place: the pieces and the store are the only copies held.
        total = int(starts[-1])
        vectors = np.empty((total, dimension), dtype=np.int8)
        scales = np.empty(total, dtype=np.float32)
        ids = np.empty(total, dtype=np.int32)
        for piece, a, b in zip(tokens, starts[:-1].tolist(), starts[1:].tolist(), strict=True):
            if piece.scales is None:
                vectors[a:b], scales[a:b] = quantised(piece.vectors)
            else:
                vectors[a:b], scales[a:b] = piece.vectors, piece.scales
            ids[a:b] = piece.ids
        return cls(vectors, scales, ids, starts, np.asarray(follows, dtype=bool), captions)

    def passage(self, row: int) -> Tokens:
        """Passage `row`'s tokens, packed as stored (views into the store)."""
        a, b = int(self.starts[row]), int(self.starts[row + 1])
        return Tokens(self.vectors[a:b], self.ids[a:b], self.scales[a:b])

    def similarities(self, question: np.ndarray, picked: np.ndarray) -> np.ndarray:
        """Cosines of each question row with each of the token rows `picked`: (q, picked)."""
        import numpy as np

        sims: np.ndarray = question @ self.vectors[picked].astype(np.float32).T
        return np.asarray(sims * self.scales[picked], dtype=np.float32)

    def __len__(self) -> int:
        return int(self.starts.size - 1)

    @property
    def idf(self) -> np.ndarray:
        """By token id: log((passages + 1) / (passages holding it + 0.5)), computed once."""
        if self._idf is None:
            import numpy as np

            size = int(self.ids.max()) + 1 if self.ids.size else 1
            owner = np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.starts))
            pairs = np.unique(owner * size + self.ids)
            df = np.bincount(pairs % size, minlength=size)
            self._idf = np.log((len(self) + 1) / (df + 0.5))
        return self._idf

    def weights(self, ids: np.ndarray) -> np.ndarray:
        """IDF of each of `ids`; a token no passage holds weighs as the rarest can."""
        import numpy as np

        idf = self.idf
        unseen = math.log((len(self) + 1) / 0.5)
        inside = ids < idf.size
        return np.where(inside, idf[np.where(inside, ids, 0)], unseen)

    def save(self, folder: Path, prefix: str = "") -> None:
        import numpy as np

        np.save(folder / f"{prefix}{VECTORS}", self.vectors, allow_pickle=False)
        np.save(folder / f"{prefix}{SCALES}", self.scales, allow_pickle=False)
        np.save(folder / f"{prefix}{IDS}", self.ids, allow_pickle=False)
        np.save(folder / f"{prefix}{STARTS}", self.starts, allow_pickle=False)
        np.save(folder / f"{prefix}{FOLLOWS}", self.follows, allow_pickle=False)
        if self.captions is not None:
            self.captions.store.save(folder, CAPTION_PREFIX)
            np.save(folder / CAPTION_OF, self.captions.of, allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, prefix: str = "") -> TokenStore:
        """The store in `folder`, its vectors memory-mapped, with its captions if saved."""
        import numpy as np

        vectors = np.load(folder / f"{prefix}{VECTORS}", mmap_mode="r", allow_pickle=False)
        captions = None
        if not prefix and (folder / CAPTION_OF).is_file():
            of = np.load(folder / CAPTION_OF, allow_pickle=False)
            captions = Captions(cls.load(folder, CAPTION_PREFIX), of)
        return cls(
            vectors.view(np.ndarray),
            np.load(folder / f"{prefix}{SCALES}", allow_pickle=False),
            np.load(folder / f"{prefix}{IDS}", allow_pickle=False),
            np.load(folder / f"{prefix}{STARTS}", allow_pickle=False),
            np.load(folder / f"{prefix}{FOLLOWS}", allow_pickle=False),
            captions,
        )

    def consistent(self, passages: int, dimension: int) -> bool:
        """Whether the arrays agree with each other and with the index."""
        return (
            self.starts.size == passages + 1
            and self.follows.size == passages
            and int(self.starts[-1]) == self.ids.size == self.vectors.shape[0]
            and self.scales.size == self.ids.size
            and self.vectors.shape[1] == dimension
            and (self.captions is None or self.captions.consistent(passages, dimension))
        )


@dataclass
class Captions:
    """The distinct captions' tokens (one "passage" of `store` each) and each passage's
    row among them."""

    store: TokenStore
    of: np.ndarray  # (passages,) int32

    def consistent(self, passages: int, dimension: int) -> bool:
        """Whether every passage has a caption the store holds."""
        rows = len(self.store)
        return (
            self.of.shape == (passages,)
            and (passages == 0 or 0 <= int(self.of.min()) <= int(self.of.max()) < rows)
            and self.store.consistent(rows, dimension)
        )
