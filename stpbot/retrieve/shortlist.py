"""Passages worth scoring, picked out of a question's scores over the whole collection.

Pure numpy on arrays of row numbers and scores, so the retriever's hot path stays
readable and these stay testable alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

# The keyword floor's groups: at most this long, and not used shorter than MIN_GROUP.
TOP_GROUP = 64
MIN_GROUP = 8


def unit_max(scores: np.ndarray, weight: float = 1.0) -> np.ndarray:
    """Scale BM25 scores, in place, so the best passage for this query scores `weight`."""
    top = float(scores.max()) if scores.size else 0.0
    if top > 0:
        scores *= weight / top
    return scores


def top_positive(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the `k` highest positive scores, in no particular order.

    In a large collection most passages share some word with a question (three in
    four, in the synthetic ones), so ranking all of them cost 1-2 ms at 160,000
    passages. The scores are dealt into groups, and the k-th highest group maximum
    is a floor that at least k scores reach; only the groups whose maximum reaches
    it are read again. A group is every n-th score, not a run: numpy takes the
    maxima of the rows of a (64, n) array ten times faster than of an (n, 64) one
    (0.1 against 1.0 ms at a million).
    """
    import numpy as np

    floor = 0.0
    # Shorter groups in smaller collections: the floor needs more than 4k of them.
    length = min(TOP_GROUP, scores.size // (4 * k + 1))
    groups = scores.size // max(1, length)
    if length >= MIN_GROUP:
        maxima = scores[: groups * length].reshape(length, groups).max(axis=0)
        floor = float(np.partition(maxima, groups - k)[groups - k])
    if floor > 0:
        hot = np.flatnonzero(maxima >= floor)
        inside = (np.arange(length)[:, None] * groups + hot).ravel()
        rows = np.concatenate([inside, np.arange(groups * length, scores.size)])
        rows = np.sort(rows[scores[rows] >= floor])  # ascending, so ties resolve as before
    else:
        rows = np.flatnonzero(scores > 0)
    if rows.size > k:
        rows = rows[np.argpartition(scores[rows], rows.size - k)[rows.size - k :]]
    return rows


def runs(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The indices of every run starts[i]:ends[i], concatenated, and where each run
    begins among them (one offset a run, then the total)."""
    import numpy as np

    counts = ends - starts
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return np.repeat(starts - offsets[:-1], counts) + np.arange(offsets[-1]), offsets


def union(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The sorted distinct values of both: `np.union1d`, which took 20 microseconds
    where a sort of a few hundred rows takes 5."""
    import numpy as np

    rows = np.sort(np.concatenate([a, b]).astype(np.int64, copy=False))
    return rows[np.concatenate([[True], rows[1:] != rows[:-1]])] if rows.size else rows


def marks(rows: np.ndarray, marked: np.ndarray) -> np.ndarray:
    """Which of `rows` are among `marked` (both ascending); no search when none are."""
    import numpy as np

    return np.isin(rows, marked) if marked.size else np.zeros(rows.size, dtype=bool)
