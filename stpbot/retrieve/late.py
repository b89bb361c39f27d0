"""Late interaction: how well each of a question's words is matched somewhere in a passage.

For each question token, its best cosine with any token of the passage (both from the
model's last layer, in context), weighted by the token's rarity in the collection and
averaged. A reworded question still finds the passage that holds a match for each of
its rare words, where one vector per passage blurs them. The passage is read alone and
in context: with the passage before it (which often names who is speaking or what "it"
is) and its caption (its document's title, publisher and author, its section heading);
the two readings are averaged, as the dense score takes the context view.

The retriever reranks its best candidates by this score fused with its own, each
z-scored over the candidates, weighed 1:1: no constant to tune, and the same figures
whether 15 or 50 candidates are reranked (docs/benchmarks.md).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from stpbot.retrieve.shortlist import runs

if TYPE_CHECKING:
    import numpy as np

    from stpbot.embedding.base import Tokens
    from stpbot.index.tokens import TokenStore

# Candidates reranked: enough to reach a passage the fused score ranked low, few
# enough that the token rows read stay a few hundred kilobytes.
RERANK = 30


@cache
def single_threaded_blas() -> None:
    """Keep numpy's BLAS to one thread, once per process.

    Its products here are small and a server answers many questions side by side, so
    a BLAS thread pool gains nothing, and its threads spin after every product: with
    them, a served answer cost twice the CPU (20 against 10 ms).
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def late_scores(question: Tokens, store: TokenStore, rows: np.ndarray) -> np.ndarray:
    """The late-interaction score of each of `rows` for the question's tokens."""
    import numpy as np

    if question.ids.size == 0 or rows.size == 0:
        return np.zeros(rows.size, dtype=np.float32)
    weights = store.weights(question.ids.astype(np.int64))
    weights = weights / weights.sum()
    # Each passage, and the one before it where that is in the same document, in one
    # product: a question token counts as matched by whichever matches it better.
    before = store.follows[rows]
    # Candidates are often neighbours: each passage is read once.
    read = np.unique(np.concatenate([rows, rows[before] - 1]))
    best = _best_matches(question.vectors, store, read)
    own = best[np.searchsorted(read, rows)]
    joined = own.copy()
    joined[before] = np.maximum(own[before], best[np.searchsorted(read, rows[before] - 1)])
    if store.captions is not None:
        # The context reading takes in the caption too: "What does the King's Fund say"
        # is asked of a passage that says only "The report says".
        of = store.captions.of[rows]
        shown = np.unique(of)
        titled = _best_matches(question.vectors, store.captions.store, shown)
        joined = np.maximum(joined, titled[np.searchsorted(shown, of)])
    return np.asarray(((own + joined) / 2) @ weights, dtype=np.float32)


def _best_matches(question: np.ndarray, store: TokenStore, rows: np.ndarray) -> np.ndarray:
    """For each of `rows`, each question token's best cosine with its tokens: (rows, q)."""
    import numpy as np

    picked, offsets = runs(store.starts[rows], store.starts[rows + 1])
    return _segment_max(store.similarities(question, picked), np.diff(offsets))


def _segment_max(sims: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """For each run of `counts` columns of `sims`, each row's maximum: (runs, rows).
    An empty run (a passage with no word tokens) scores zero."""
    import numpy as np

    out = np.zeros((counts.size, sims.shape[0]), dtype=np.float32)
    filled = counts > 0
    if filled.any():
        offsets = np.concatenate([[0], np.cumsum(counts[filled])[:-1]])
        out[filled] = np.maximum.reduceat(sims, offsets, axis=1).T
    return out


def standardised(scores: np.ndarray) -> np.ndarray:
    """Scores as distances from their mean in standard deviations (all 0 when equal)."""
    import numpy as np

    spread = float(scores.std())
    if spread < 1e-9:
        return np.zeros(scores.size, dtype=np.float64)
    return np.asarray((scores - scores.mean()) / spread, dtype=np.float64)


def reranked(order: np.ndarray, score: np.ndarray, late: np.ndarray) -> np.ndarray:
    """`order`'s first `late.size` positions reordered by their score and late-interaction
    score fused 1:1 after standardising; the rest as they were."""
    import numpy as np

    head = order[: late.size]
    fused = standardised(score[head]) + standardised(late)
    return np.concatenate([head[np.argsort(-fused, kind="stable")], order[late.size :]])


def best_matches(question: Tokens, store: TokenStore, rows: np.ndarray) -> np.ndarray:
    """Each question token's best cosine with any token of any of `rows`: (q,)."""
    import numpy as np

    return np.asarray(_best_matches(question.vectors, store, rows).max(axis=0))


def support(
    best: np.ndarray,
    weights: np.ndarray,
    named: np.ndarray | None = None,
    unwritten: np.ndarray | None = None,
) -> float:
    """The share of the question's information that passages match, from each question
    token's best cosine in them (`best_matches`), weighted by `weights`. Tokens that
    `named` marks (the name of whoever speaks in the passage) count as matched; those
    `unwritten` marks (a name the collection never writes), as unmatched."""
    import numpy as np

    total = float(weights.sum())
    if best.size == 0 or total <= 0:
        return 0.0
    if named is not None:
        best = np.where(named, np.float32(1.0), best)
    if unwritten is not None:
        best = np.where(unwritten, np.float32(0.0), best)
    return float(best @ weights) / total
