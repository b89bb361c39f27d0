"""The FAISS index over passage vectors: exact when small, a graph (HNSW) when large.

Below `EXACT_UP_TO` vectors a flat scan is both exact and fast enough; above it an
HNSW graph is built, and how widely it searches (efSearch) is chosen at build
time as the smallest that keeps recall@10 against exact search at
`TARGET_RECALL`. The choice is recorded in the manifest. Indexes built before
HNSW (an IVF) still load and search as they were built.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    import numpy as np

# A flat scan is exact and, for small collections, cheaper than the question's own
# embedding; past this many vectors (about 1,200 passages) the HNSW graph is cheaper.
EXACT_UP_TO = 4_000
# How many vectors a search returns: the retriever rescores their passages exactly.
SEARCH_K = 256
# HNSW over IVF: it reaches the recall target at a fraction of the latency, in float16
# (faster and as accurate as float32); more links than this bought nothing.
HNSW_LINKS = 32
# Widths the tuning tries, narrowest first; it goes on past 1,024 rather than settle
# below the recall target on a hard collection. docs/benchmarks.md has the runs.
SEARCH_WIDTHS = (128, 256, 512, 1024, 2048)
# Tuning probes are blends of stored vectors, harder than real questions: on the
# graph real questions scored 0.01-0.02 higher than the probes at the same width.
TARGET_RECALL = 0.95
TUNING_QUERIES = 300
RECALL_K = 10


@dataclass(frozen=True)
class VectorIndexInfo:
    """How the vectors are searched: recorded in the manifest, applied on load."""

    kind: str  # "flat", "hnsw", or "ivf" (indexes built before the graph)
    lists: int = 0  # ivf
    probes: int = 0  # ivf
    links: int = 0  # hnsw: neighbours per vector
    width: int = 0  # hnsw: efSearch
    recall_at_10: float = 1.0
    storage: str = "float32"  # how the graph keeps its vectors: "float32" or "float16"


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

    count, dim = vectors.shape
    if count <= EXACT_UP_TO:
        flat = faiss.IndexFlatIP(dim)
        flat.add(vectors)
        return flat, VectorIndexInfo(kind="flat")
    # Half-precision vectors in the graph: the retriever rescores its candidates from
    # the full-precision copy, and the walk, bound by memory, gets faster.
    graph: Any = faiss.index_factory(dim, f"HNSW{HNSW_LINKS},SQfp16", faiss.METRIC_INNER_PRODUCT)
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    try:
        graph.add(vectors)
        queries = _tuning_queries(vectors, TUNING_QUERIES)
        # Without a second copy of the vectors in an index (1.5 GB per million).
        _, exact = faiss.knn(queries, vectors, RECALL_K, metric=faiss.METRIC_INNER_PRODUCT)

        def recall_with(width: int) -> float:
            graph.hnsw.efSearch = width
            found = graph.search(queries, min(SEARCH_K, count))[1][:, :RECALL_K]
            return recall_at(exact, found)

        # The narrowest width that meets the target, then halfway back from it.
        width, recall, previous = SEARCH_WIDTHS[-1], 0.0, 0
        for candidate in SEARCH_WIDTHS:
            width, recall = candidate, recall_with(candidate)
            if recall >= TARGET_RECALL:
                middle = (previous + candidate) // 2
                if previous and (between := recall_with(middle)) >= TARGET_RECALL:
                    width, recall = middle, between
                break
            previous = candidate
        graph.hnsw.efSearch = width
    finally:
        search_threads()
    info = VectorIndexInfo(
        kind="hnsw",
        links=HNSW_LINKS,
        width=width,
        recall_at_10=round(recall, 4),
        storage="float16",
    )
    return graph, info


_searchers: dict[int, ThreadPoolExecutor] = {}  # by process id
_searchers_lock = threading.Lock()
# Two: one walk per core when two questions arrive at once.
SEARCH_THREADS = 2


def search_soon(index: Any, vector: np.ndarray, k: int) -> Future[tuple[np.ndarray, np.ndarray]]:
    """Start `index.search(vector, k)` on a helper thread and return its future.

    faiss lets go of Python's lock while it searches, so the caller can score BM25
    meanwhile: at a million passages the two took 10-12 ms one after the other and
    6-7 ms side by side (0.36-0.48 against 0.30-0.36 ms at 10,000).
    """
    import time
    from concurrent.futures import ThreadPoolExecutor

    with _searchers_lock:
        # A forked child inherits the pool but not its threads: it makes its own.
        pool = _searchers.get(os.getpid())
        if pool is None:
            _searchers.clear()
            pool = _searchers[os.getpid()] = ThreadPoolExecutor(
                SEARCH_THREADS, thread_name_prefix="vector-search", initializer=search_threads
            )
    future = pool.submit(index.search, vector, k)
    # Let the helper take Python's lock now, to reach the search (where faiss lets it
    # go); otherwise it waits for the caller's switch interval, 5 ms.
    time.sleep(0)
    return future


def inner_products(matrix: np.ndarray, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """`matrix[rows] @ vector`, reading each row once where it lies.

    Gathering the rows first copies them (1,200 rows at 10,000 passages, 1.8 MB) and
    then reads the copy again: 0.3-0.4 ms in an answer, against 0.2 ms for this.
    """
    import faiss
    import numpy as np

    ids = np.ascontiguousarray(rows, dtype=np.int64)
    query = np.ascontiguousarray(vector, dtype=np.float32)
    if not (matrix.dtype == np.float32 and matrix.flags.c_contiguous and matrix.ndim == 2):
        return np.asarray(matrix[ids] @ query, dtype=np.float32)
    # faiss reads what it is pointed at: a wrong size or row must not reach it.
    if query.shape != (matrix.shape[1],):
        raise ValueError(f"query of shape {query.shape} against rows of {matrix.shape[1]}")
    if ids.size and not (int(ids.min()) >= 0 and int(ids.max()) < len(matrix)):
        raise IndexError(f"row outside the {len(matrix)} stored vectors")
    out = np.empty(ids.size, dtype=np.float32)
    if ids.size:
        # faiss's bundled stubs list only part of its SWIG functions.
        faiss.fvec_inner_products_by_idx(  # type: ignore[attr-defined]
            faiss.swig_ptr(out),
            faiss.swig_ptr(query),
            faiss.swig_ptr(matrix),
            faiss.swig_ptr(ids),
            matrix.shape[1],
            1,
            ids.size,
        )
    return out


def prepare(index: Any, info: VectorIndexInfo) -> None:
    """Apply the recorded search settings to an index read from disk."""
    import faiss

    if info.kind == "hnsw":
        index.hnsw.efSearch = info.width
    elif info.kind == "ivf":
        faiss.extract_index_ivf(index).nprobe = info.probes
    search_threads()
