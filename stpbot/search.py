"""Hybrid retrieval: dense vectors and BM25 fused, thresholded, de-duplicated, diverse.

A passage's dense score is its best match among several views (the passage, the
passage after its preceding sentence, each sentence alone), so a question that
matches one sentence, or needs the sentence before to make sense, still finds it.
The answer gate uses the dense score alone: keyword overlap ("cake") is no sign
that the briefings answer a question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stpbot.index import ROLE_CONTEXT, ROLE_PASSAGE

if TYPE_CHECKING:
    import numpy as np

    from stpbot.chunking import Passage
    from stpbot.documents import Source
    from stpbot.embedding import Embedder
    from stpbot.index import LoadedIndex

# Calibrated on MiniLM cosine scores: in-scope questions score 0.55 or more against
# their best passage, unrelated ones under 0.25; the gate sits between.
DEFAULT_THRESHOLD = 0.40
# Weight of BM25 (scaled to 0..1 per query) against the cosine score.
LEXICAL_WEIGHT = 0.5
# Context (the passage before) resolves "it" and "the report", but a passage must not
# outrank the one it follows on the strength of that one's words: the context view's
# cosine is discounted, and BM25 is half on the passage alone, half with its context.
CONTEXT_PENALTY = 0.06
CONTEXT_LEXICAL_SHARE = 0.5
DENSE_CANDIDATES = 256
LEXICAL_CANDIDATES = 64
DUPLICATE_COSINE = 0.95
PER_DOCUMENT_IN_TOP = 2
# A follow-up's own words weigh more than the question it follows.
FOLLOW_UP_OWN = 0.6
TOP = 3


@dataclass(frozen=True, slots=True)
class _Query:
    text: str
    vector: np.ndarray
    lexical: np.ndarray
    rows: set[int]


@dataclass(frozen=True, slots=True)
class Hit:
    """A passage scored for one query, with the sentence that matched best."""

    passage: Passage
    source: Source
    score: float
    dense: float
    lexical: float
    highlight: tuple[int, int]
    row: int

    @property
    def highlight_text(self) -> str:
        a, b = self.highlight
        return self.passage.text[a:b]


def _follow_up(own: Hit, framed: Hit, carry: bool) -> Hit:
    """Blend a follow-up's own reading with its reading after the previous question.

    The follow-up's own words lead (it names the new subject); when `carry`, the
    framed reading brings the subject over and can clear the gate ("who said that?").
    """
    best = framed if carry and framed.dense > own.dense else own
    return Hit(
        passage=own.passage,
        source=own.source,
        score=FOLLOW_UP_OWN * own.score + (1 - FOLLOW_UP_OWN) * framed.score,
        dense=best.dense,
        lexical=FOLLOW_UP_OWN * own.lexical + (1 - FOLLOW_UP_OWN) * framed.lexical,
        highlight=best.highlight,
        row=own.row,
    )


def _unit_max(scores: np.ndarray) -> np.ndarray:
    """Scale BM25 scores so the best passage for this query scores 1."""
    top = float(scores.max()) if scores.size else 0.0
    return scores / top if top > 0 else scores


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2}


def targets(question: str, source: Source) -> bool:
    """Whether the question names this document's publisher, author or title."""
    q = f" {' '.join(re.findall(r'[a-z0-9]+', question.lower()))} "
    names = [source.publisher, source.title, *(re.split(r",| and ", source.author or ""))]
    for name in names:
        words = re.findall(r"[a-z0-9]+", (name or "").lower())
        if words and len("".join(words)) >= 4 and f" {' '.join(words)} " in q:
            return True
    return False


class Retriever:
    """Searches one loaded index with one embedder."""

    def __init__(
        self,
        index: LoadedIndex,
        embedder: Embedder,
        threshold: float = DEFAULT_THRESHOLD,
        lexical_weight: float = LEXICAL_WEIGHT,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.threshold = threshold
        self.floor = threshold * 0.75
        self.lexical_weight = lexical_weight

    def _views(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        lo, hi = self.index.vector_range(row)
        vectors = self.index.vectors.reconstruct_batch(np.arange(lo, hi, dtype=np.int64))
        return vectors, self.index.role[lo:hi]

    def _hit(self, row: int, query_vec: np.ndarray, query: str, lexical: float) -> Hit:
        vectors, roles = self._views(row)
        sims = vectors @ query_vec - CONTEXT_PENALTY * (roles == ROLE_CONTEXT)
        passage = self.index.passages[row]
        highlight = passage.sentences[0]
        if len(passage.sentences) > 1:
            qwords = _words(query)
            best = -1.0
            for sim, role in zip(sims, roles, strict=True):
                if role < 0:
                    continue
                a, b = passage.sentences[role]
                # Shared words break near-ties in favour of the sentence a reader expects.
                overlap = len(qwords & _words(passage.text[a:b])) / max(1, len(qwords))
                if float(sim) + 0.1 * overlap > best:
                    best, highlight = float(sim) + 0.1 * overlap, (a, b)
        dense = float(sims.max())
        return Hit(
            passage=passage,
            source=self.index.sources[passage.doc_id],
            score=dense + self.lexical_weight * lexical,
            dense=dense,
            lexical=lexical,
            highlight=highlight,
            row=row,
        )

    def _query(self, text: str) -> _Query:
        import numpy as np

        vector = self.embedder.embed_query(text)
        n_vec = min(DENSE_CANDIDATES, self.index.vectors.ntotal)
        _, ids = self.index.vectors.search(vector.reshape(1, -1), n_vec)
        rows = {int(self.index.owner[i]) for i in ids[0] if i >= 0}
        own = _unit_max(self.index.lexical.scores(text))
        framed = _unit_max(self.index.lexical_context.scores(text))
        lexical = (1 - CONTEXT_LEXICAL_SHARE) * own + CONTEXT_LEXICAL_SHARE * framed
        if lexical.size and float(lexical.max()) > 0:
            n_lex = min(LEXICAL_CANDIDATES, lexical.size)
            top = np.argpartition(-lexical, n_lex - 1)[:n_lex]
            rows.update(int(i) for i in top if lexical[i] > 0)
        return _Query(text, vector, lexical, rows)

    def _scored(self, row: int, query: _Query) -> Hit:
        return self._hit(row, query.vector, query.text, float(query.lexical[row]))

    def candidates(self, query: str, limit: int = 50, previous: str | None = None) -> list[Hit]:
        """The best `limit` passages by fused score, before thresholds and diversity.

        With `previous` (the question before, in a conversation) the query is also
        read in its light, so "what about the voluntary sector?" keeps its subject.
        """
        own = self._query(query)
        if previous is None:
            hits = [self._scored(r, own) for r in own.rows]
        else:
            framed = self._query(f"{previous} {query}")
            pairs = [
                (self._scored(r, own), self._scored(r, framed)) for r in own.rows | framed.rows
            ]
            # A follow-up must itself be loosely about the briefings ("who said that?"
            # is; "and the football?" is not) before the earlier question may carry it.
            carry = max((o.dense for o, _ in pairs), default=0.0) >= self.floor
            hits = [_follow_up(o, f, carry) for o, f in pairs]
        hits.sort(key=lambda h: (-h.score, h.passage.id))
        return hits[:limit]

    def answerable(self, hits: list[Hit]) -> bool:
        """Whether the best passage is close enough in meaning to count as an answer."""
        return bool(hits) and max(h.dense for h in hits) >= self.threshold

    def passage_vector(self, row: int) -> np.ndarray:
        vectors, roles = self._views(row)
        vector: np.ndarray = vectors[int((roles == ROLE_PASSAGE).argmax())]
        return vector

    def _duplicate(self, hit: Hit, chosen: list[Hit]) -> bool:
        vec = self.passage_vector(hit.row)
        return any(
            hit.passage.text == c.passage.text
            or float(vec @ self.passage_vector(c.row)) >= DUPLICATE_COSINE
            for c in chosen
        )

    def search(self, query: str, k: int = TOP, previous: str | None = None) -> list[Hit]:
        """Up to `k` answer passages, or none when nothing clears the threshold.

        Near-duplicates are dropped, and the first three come from at least two
        documents unless the question names a document. `previous` is the
        conversation's earlier question, for follow-ups.
        """
        pool = self.candidates(query, limit=max(50, k * 5), previous=previous)
        if not self.answerable(pool):
            return []
        named = f"{previous} {query}" if previous else query
        targeted = {h.passage.doc_id for h in pool if targets(named, h.source)}
        eligible = [h for h in pool if h.dense >= self.floor]
        chosen: list[Hit] = []
        for hit in eligible:
            if len(chosen) >= min(k, TOP):
                break
            same = sum(c.passage.doc_id == hit.passage.doc_id for c in chosen)
            capped = hit.passage.doc_id not in targeted and same >= PER_DOCUMENT_IN_TOP
            if not capped and not self._duplicate(hit, chosen):
                chosen.append(hit)
        # Past the top three, anything relevant may follow, in score order.
        for hit in eligible:
            if len(chosen) >= k:
                break
            if hit not in chosen and not self._duplicate(hit, chosen):
                chosen.append(hit)
        return chosen

    def diverse(self, query: str, k: int, balance: float = 0.7) -> list[Hit]:
        """Maximal marginal relevance: relevant passages that say different things."""
        pool = [h for h in self.candidates(query, limit=40) if h.dense >= self.floor]
        if not self.answerable(pool):
            return []
        vectors = {h.row: self.passage_vector(h.row) for h in pool}
        chosen: list[Hit] = []
        while pool and len(chosen) < k:

            def mmr(hit: Hit) -> float:
                redundancy = max(
                    (float(vectors[hit.row] @ vectors[c.row]) for c in chosen), default=0.0
                )
                return balance * hit.score - (1 - balance) * redundancy

            best = max(pool, key=mmr)
            pool.remove(best)
            if not self._duplicate(best, chosen):
                chosen.append(best)
        return chosen
