"""The FAISS index over passage vectors: exact when small, IVF when large.

Below `EXACT_UP_TO` vectors a flat scan is both exact and fast enough; above it an
inverted-file index with about 4*sqrt(N) lists is trained, and the number of lists
probed per query is chosen at build time as the smallest that keeps recall@10
against exact search at `TARGET_RECALL`. The choice is recorded in the manifest.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

# Measured on 2 cores with one search thread, inside the answer path (so with the
# vectors out of the CPU cache): a flat scan costs about 0.1 ms per 1,000 vectors,
# 0.5 ms at 5,500, against 2-3 ms to embed the question; an IVF probing a tenth
# of its lists costs under 0.1 ms there. Past 4,000 vectors (about 1,200 passages)
# the IVF is used.
EXACT_UP_TO = 4_000
# Tuning probes are synthetic; real questions sit further from the passages and
# scored 0.02 lower on a 55,000-vector index, so the target keeps a margin over 0.95.
TARGET_RECALL = 0.99
TUNING_QUERIES = 300
RECALL_K = 10


@dataclass(frozen=True)
class VectorIndexInfo:
    """How the vectors are searched: recorded in the manifest, applied on load."""

    kind: str  # "flat" or "ivf"
    lists: int = 0
    probes: int = 0
    recall_at_10: float = 1.0


def search_threads() -> None:
    """One OpenMP thread per search: for single queries it is faster than several."""
    import faiss

    faiss.omp_set_num_threads(1)


def _tuning_queries(vectors: np.ndarray, count: int, seed: int = 7) -> np.ndarray:
    """Question-like probes: the normalised mean of two random stored vectors.

    A stored vector as its own query is too easy (its list is always probed first);
    a blend of two sits between topics, as real questions often do.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    a = vectors[rng.integers(0, len(vectors), count)]
    b = vectors[rng.integers(0, len(vectors), count)]
    mixed = a + b
    norms = np.linalg.norm(mixed, axis=1, keepdims=True)
    return np.ascontiguousarray(mixed / np.maximum(norms, 1e-12), dtype=np.float32)


def recall_at(exact: np.ndarray, approximate: np.ndarray) -> float:
    """Mean share of each exact top-k found in the approximate top-k."""
    found = sum(len(set(e) & set(a)) for e, a in zip(exact, approximate, strict=True))
    return found / max(1, exact.size)


def build(vectors: np.ndarray) -> tuple[Any, VectorIndexInfo]:
    """A FAISS index over `vectors` (unit rows), chosen and tuned by size."""
    import faiss
    import numpy as np

    count, dim = vectors.shape
    if count <= EXACT_UP_TO:
        flat = faiss.IndexFlatIP(dim)
        flat.add(vectors)
        return flat, VectorIndexInfo(kind="flat")
    # About 4*sqrt(N) lists, but never fewer than 39 training points per list (k-means
    # would warn, and lists of a handful of vectors only add probing overhead).
    lists = max(1, min(int(4 * math.sqrt(count)), count // 39))
    quantizer = faiss.IndexFlatIP(dim)
    ivf = faiss.IndexIVFFlat(quantizer, dim, lists, faiss.METRIC_INNER_PRODUCT)
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    try:
        # k-means needs about 40 points per list; more only slows training down.
        sample = min(count, lists * 64)
        rows = np.random.default_rng(1234).choice(count, sample, replace=False)
        ivf.train(vectors[np.sort(rows)])
        ivf.add(vectors)
        queries = _tuning_queries(vectors, TUNING_QUERIES)
        flat = faiss.IndexFlatIP(dim)
        flat.add(vectors)
        _, exact = flat.search(queries, RECALL_K)

        def recall_with(probes: int) -> float:
            ivf.nprobe = probes
            return recall_at(exact, ivf.search(queries, RECALL_K)[1])

        # Double until the target is met, then try halfway back (1.5x the last miss).
        probes, recall, previous = lists, 1.0, 0
        candidate = 1
        while candidate < lists:
            measured = recall_with(candidate)
            if measured >= TARGET_RECALL:
                probes, recall = candidate, measured
                middle = (previous + candidate) // 2
                if (
                    previous
                    and middle > previous
                    and (between := recall_with(middle)) >= (TARGET_RECALL)
                ):
                    probes, recall = middle, between
                break
            previous, candidate = candidate, candidate * 2
        ivf.nprobe = probes
    finally:
        search_threads()
    info = VectorIndexInfo(kind="ivf", lists=lists, probes=probes, recall_at_10=round(recall, 4))
    return ivf, info


def prepare(index: Any, info: VectorIndexInfo) -> None:
    """Apply the recorded search settings to an index read from disk."""
    import faiss

    if info.kind == "ivf":
        faiss.extract_index_ivf(index).nprobe = info.probes
    search_threads()
