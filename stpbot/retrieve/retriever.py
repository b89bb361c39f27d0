"""Hybrid retrieval: dense vectors and BM25 fused, gated, de-duplicated, diverse.

A passage's dense score is its best match among several views (the passage, the
passage after its preceding sentence, each sentence alone), so a question that
matches one sentence, or needs the sentence before to make sense, still finds it.
A question word the collection lacks is also searched for under the other names
the glossary gives it. The best candidates are then reranked by late interaction
(late.py) where the index keeps token states. Whether to answer at all is the gate's
(gate.py), on how much of the question the best passage matches word by word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from stpbot.glossary import Glossary
from stpbot.index.embedding_views import ROLE_CONTEXT, ROLE_PASSAGE, caption
from stpbot.index.lexical import query_tokens
from stpbot.index.tokens import TokenStore
from stpbot.index.vectors import SEARCH_K, inner_products, search_soon
from stpbot.retrieve.gate import Gate
from stpbot.retrieve.hits import Assessment, Hit, Pool, words_of
from stpbot.retrieve.information import load as load_word_list
from stpbot.retrieve.information import token_weights, token_words
from stpbot.retrieve.late import (
    RERANK,
    best_matches,
    late_scores,
    reranked,
    single_threaded_blas,
    support,
)
from stpbot.retrieve.proper_names import NameRun, named_rows, unwritten_mask, unwritten_names
from stpbot.retrieve.shortlist import marks, runs, top_positive, union, unit_max

if TYPE_CHECKING:
    import numpy as np

    from stpbot.documents import Source
    from stpbot.embedding import Embedder
    from stpbot.embedding.base import Tokens
    from stpbot.index.store import LoadedIndex

# Weight of BM25 (scaled to 0..1 per query) against the cosine score.
LEXICAL_WEIGHT = 0.5
# Context (the passage before) resolves "it" and "the report", but a passage must not
# outrank the one it follows on the strength of that one's words: the context view's
# cosine is discounted, and BM25 is half on the passage alone, half with its context.
CONTEXT_PENALTY = 0.06
CONTEXT_LEXICAL_SHARE = 0.5
LEXICAL_CANDIDATES = 64
# Passages this far off in meaning are never shown (unless they hold a rare name the
# question mentions); leaving them out keeps a miss cheap.
FLOOR = 0.30
DUPLICATE_COSINE = 0.95
PER_DOCUMENT_IN_TOP = 2
# A follow-up's own words weigh more than the question it follows.
FOLLOW_UP_OWN = 0.6
TOP = 3


@dataclass(frozen=True, slots=True)
class _Query:
    text: str
    vector: np.ndarray
    lexical: np.ndarray  # fused BM25 of every passage, 0..1
    rows: np.ndarray  # candidate passages, ascending
    named: np.ndarray  # those holding a rare name the question mentions, ascending
    tokens: Tokens | None  # for late interaction and the gate, when the model gives them
    weights: np.ndarray | None  # each token's share of the question's information
    words: tuple[str, ...]  # the whole word each token is a piece of
    unwritten: tuple[NameRun, ...]  # names the question writes and the collection does not


@dataclass(frozen=True, slots=True)
class _Scores:
    """One query's scores for a set of candidate rows, computed together."""

    rows: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray
    score: np.ndarray
    sims: np.ndarray  # per view, for the rows in order
    offsets: np.ndarray  # rows[i]'s views are sims[offsets[i]:offsets[i + 1]]


def _padded(text: str) -> str:
    """Lower-case words joined by single spaces, with a space at each end."""
    return f" {' '.join(re.findall(r'[a-z0-9]+', text.lower()))} "


@lru_cache(maxsize=4096)
def _names(source: Source) -> tuple[str, ...]:
    """The source's publisher, title and authors as padded word runs worth matching."""
    names = [source.publisher, source.title, *(re.split(r",| and ", source.author or ""))]
    padded = (_padded(name or "") for name in names)
    return tuple(p for p in padded if len(p.replace(" ", "")) >= 4)


def _named_in(padded_question: str, source: Source) -> bool:
    """Whether the question (as `_padded` gives it) names this document's publisher,
    author or title."""
    return any(name in padded_question for name in _names(source))


class Retriever:
    """Searches one loaded index with one embedder."""

    def __init__(
        self,
        index: LoadedIndex,
        embedder: Embedder,
        gate: Gate | None = None,
        lexical_weight: float = LEXICAL_WEIGHT,
        glossary: Glossary | None = None,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.gate = gate or Gate()
        self.glossary = glossary or Glossary()
        self.floor = FLOOR
        self.lexical_weight = lexical_weight
        if index.tokens is not None:
            single_threaded_blas()  # once, here, rather than on every question
        if embedder.offers_tokens:
            load_word_list()

    def _views(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.index.vector_range(row)
        return self.index.matrix[lo:hi], self.index.role[lo:hi]

    def _query(self, text: str) -> _Query:
        # Other names of the glossary terms the question uses (CVS: "council for voluntary
        # service"; charities: "voluntary sector") are searched for as well.
        bridged = self.glossary.bridge(text, self._known)
        wider = f"{text} ({'; '.join(bridged)})" if bridged else text
        tokens = weights = None
        pieces: list[str] = []
        if self.embedder.offers_tokens:
            vector, tokens = self.embedder.embed_query_tokens(wider)
            pieces = self.embedder.token_texts(tokens.ids)
            weights = token_weights(pieces)
        else:
            vector = self.embedder.embed_query(wider)
        n_vec = min(SEARCH_K, self.index.vectors.ntotal)
        # The vector search runs on a helper thread while BM25 runs here.
        found = search_soon(self.index.vectors, vector.reshape(1, -1), n_vec)
        words = query_tokens(wider)
        lexical = unit_max(self.index.lexical.scores(words), 1 - CONTEXT_LEXICAL_SHARE)
        lexical += unit_max(self.index.lexical_context.scores(words), CONTEXT_LEXICAL_SHARE)
        lexical_rows = top_positive(lexical, LEXICAL_CANDIDATES)
        named = named_rows(
            text, self.index.lexical, self.index.passages, self._defined, self.embedder.knows_word
        )
        _, ids = found.result()
        dense_rows = self.index.owner[ids[0][ids[0] >= 0]]
        rows = union(dense_rows, lexical_rows)
        if named.size:
            rows = union(rows, named)
        whole = tuple(token_words(pieces))
        unwritten = unwritten_names(text, self.index.lexical, self.index.passages, self._captions)
        return _Query(text, vector, lexical, rows, named, tokens, weights, whole, unwritten)

    def _score(self, rows: np.ndarray, query: _Query) -> _Scores:
        """Dense score of each row (its best view), fused with its BM25 score."""
        import numpy as np

        views, offsets = runs(self.index.starts[rows], self.index.starts[rows + 1])
        roles = self.index.role[views]
        sims = inner_products(self.index.matrix, views, query.vector)
        sims -= CONTEXT_PENALTY * (roles == ROLE_CONTEXT)
        dense = np.maximum.reduceat(sims, offsets[:-1]) if rows.size else sims[:0]
        lexical = query.lexical[rows]
        score = dense + self.lexical_weight * lexical
        return _Scores(rows, dense, lexical, score, sims, offsets)

    def _hit(self, scores: _Scores, at: int, words: frozenset[str]) -> Hit:
        """The Hit for the row at position `at` of `scores`."""
        row = int(scores.rows[at])
        end = int(scores.offsets[at + 1])
        passage = self.index.passages[row]
        n = len(passage.sentences)
        return Hit(
            passage=passage,
            source=self.index.sources[passage.doc_id],
            score=float(scores.score[at]),
            dense=float(scores.dense[at]),
            lexical=float(scores.lexical[at]),
            row=row,
            # Sentence views come last, in sentence order (indexer._views).
            sentence_scores=scores.sims[end - n : end] if n > 1 else (),
            words=words,
        )

    def _ranked(self, order: np.ndarray, score: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """`order` (best first by `score`) with equal scores put in passage-id order, so a
        passage quoted in two briefings leads from the same one whatever the row order."""
        import numpy as np

        keys = score[order]
        same = np.diff(keys) == 0
        if not same.any():
            return order
        tied = np.zeros(order.size, dtype=bool)
        tied[1:] |= same
        tied[:-1] |= same

        def key(i: int) -> tuple[float, str]:
            row = int(rows[order[i]])
            return -float(keys[i]), self.index.passages[row].id if tied[i] else ""

        return order[sorted(range(order.size), key=key)]

    def _pool(self, query: str, limit: int, previous: str | None) -> Pool:
        """The best `limit` candidates above the floor, for a question or a follow-up."""
        if previous is None:
            return self._question_pool(query, limit)
        return self._follow_up_pool(query, limit, previous)

    def _question_pool(self, query: str, limit: int) -> Pool:
        import numpy as np

        own_query = self._query(query)
        own_words = words_of(query)
        own = self._score(own_query.rows, own_query)
        named = marks(own.rows, own_query.named)
        order = np.argsort(-own.score, kind="stable")
        keep = (own.dense[order] >= self.floor) | named[order]
        order = self._ranked(order[keep][:limit], own.score, own.rows)
        order = self._late(order, own, own_query)
        return Pool(
            own.rows[order],
            own.dense[order],
            lambda i: self._hit(own, order[i], own_words),
            lambda i: self._support(own_query, int(own.rows[order[i]]), float(own.dense[order[i]])),
        )

    def _late(self, order: np.ndarray, scores: _Scores, query: _Query) -> np.ndarray:
        """`order` with its best `RERANK` reranked by late interaction, when possible."""
        store = self.index.tokens
        if store is None or query.tokens is None or order.size < 2:
            return order
        late = late_scores(query.tokens, store, scores.rows[order[:RERANK]])
        return reranked(order, scores.score, late)

    def _follow_up_pool(self, query: str, limit: int, previous: str) -> Pool:
        """Candidates for a follow-up, read alone and in the light of `previous`."""
        import numpy as np

        own_query = self._query(query)
        own_words = words_of(query)
        framed_query = self._query(f"{previous} {query}")
        rows = union(own_query.rows, framed_query.rows)
        own = self._score(rows, own_query)
        framed = self._score(rows, framed_query)
        # A follow-up must itself be loosely about the briefings ("who said that?"
        # is; "and the football?" is not) before the earlier question may carry it.
        carry = bool(own.dense.size) and float(own.dense.max()) >= self.floor
        # Its own words lead (they name the new subject); when carried, the framed
        # reading brings the subject over and can clear the gate.
        use_framed = carry & (framed.dense > own.dense)
        blended = FOLLOW_UP_OWN * own.score + (1 - FOLLOW_UP_OWN) * framed.score
        lexical = FOLLOW_UP_OWN * own.lexical + (1 - FOLLOW_UP_OWN) * framed.lexical
        framed_words = words_of(f"{previous} {query}")
        dense = np.where(use_framed, framed.dense, own.dense)
        # Names count from the question itself, and from the one before when carried.
        named = marks(rows, own_query.named)
        if carry:
            named |= marks(rows, framed_query.named)
        order = np.argsort(-blended, kind="stable")
        keep = (dense[order] >= self.floor) | named[order]
        order = self._ranked(order[keep][:limit], blended, rows)

        def made(i: int) -> Hit:
            at = int(order[i])
            hit = (
                self._hit(framed, at, framed_words)
                if use_framed[at]
                else self._hit(own, at, own_words)
            )
            return replace(hit, score=float(blended[at]), lexical=float(lexical[at]))

        def supported(i: int) -> float:
            at = int(order[i])
            row = int(rows[at])
            alone = self._support(own_query, row, float(own.dense[at]))
            # A carried follow-up ("who said that?") borrows the earlier question's words.
            if not carry:
                return alone
            return max(alone, self._support(framed_query, row, float(framed.dense[at])))

        return Pool(rows[order], dense[order], made, supported)

    def candidates(self, query: str, limit: int = 50, previous: str | None = None) -> list[Hit]:
        """The best `limit` passages by fused score, before the gate and diversity.

        Passages whose meaning is below the floor (`FLOOR`) are left out:
        nothing that far off is ever shown, and skipping them keeps a miss cheap.

        With `previous` (the question before, in a conversation) the query is also
        read in its light, so "what about the voluntary sector?" keeps its subject.
        """
        return list(self._pool(query, limit, previous))

    @cached_property
    def _captions(self) -> str:
        """Every document's caption (title, publisher, author), one a line, to look names
        up in."""
        return "\n".join(caption(source) for source in self.index.sources.values())

    def _defined(self, term: str) -> bool:
        """Whether the glossary explains `term` (then it is vocabulary, not a name)."""
        return self.glossary.lookup(term) is not None

    def _known(self, phrase: str) -> bool:
        """Whether the collection holds every content word of `phrase`."""
        tokens = query_tokens(phrase)
        vocabulary = self.index.lexical.vocabulary
        return bool(tokens) and all(token in vocabulary for token in tokens)

    def _support(self, query: _Query, row: int, dense: float) -> float:
        """How much of the query passage `row` matches (late.py), read with the passage
        before it; its dense cosine where the model hands out no token states."""
        import numpy as np

        if query.tokens is None or query.weights is None:
            return dense
        passages = self.index.passages
        rows = (
            [row - 1, row]
            if row > 0 and passages[row - 1].doc_id == passages[row].doc_id
            else [row]
        )
        store = self.index.tokens
        read = np.array(rows, dtype=np.int64)
        if store is None:  # a collection too large to keep them: two passages embedded again
            fresh = self.embedder.embed_tokens([passages[r].text for r in rows])
            store = TokenStore.of(fresh, [False] * len(fresh), self.embedder.dimension)
            read = np.arange(len(fresh), dtype=np.int64)
        named = unwritten = None
        speaker = passages[row].speaker
        if speaker:
            # A quote running on from "Sir Bruce said:" is his words, though it does not
            # name him (chunk/speakers.py): his name counts as matched.
            names = words_of(speaker)
            named = np.array([word in names for word in query.words], dtype=bool)
        if query.unwritten:
            unwritten = unwritten_mask(query.unwritten, query.words)
        best = best_matches(query.tokens, store, read)
        return support(best, query.weights, named, unwritten)

    def relevant(self, query: str, limit: int) -> list[Hit]:
        """The best `limit` candidates if the gate lets the question be answered, else
        none: what a summary or a comparison picks from."""
        pool = self._pool(query, limit, None)
        return list(pool) if self.gate.clears(pool.signals()) else []

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

    def assess(self, query: str, k: int = TOP, previous: str | None = None) -> Assessment:
        """What `search` would show if the gate let it, and what the gate looks at."""
        # Usually a handful of the pool are looked at: each becomes a Hit on first use.
        pool = self._pool(query, max(50, k * 5), previous)
        padded = _padded(f"{previous} {query}" if previous else query)
        chosen: list[Hit] = []
        for hit in pool:
            if len(chosen) >= min(k, TOP):
                break
            same = sum(c.passage.doc_id == hit.passage.doc_id for c in chosen)
            # Only a document that would pass its cap is checked for being named.
            capped = same >= PER_DOCUMENT_IN_TOP and not _named_in(padded, hit.source)
            if not capped and not self._duplicate(hit, chosen):
                chosen.append(hit)
        # Past the top three, anything relevant may follow, in score order.
        for hit in pool:
            if len(chosen) >= k:
                break
            if hit not in chosen and not self._duplicate(hit, chosen):
                chosen.append(hit)
        return Assessment(chosen, pool.signals())

    def search(self, query: str, k: int = TOP, previous: str | None = None) -> list[Hit]:
        """Up to `k` answer passages, or none when the gate declines the question.

        Near-duplicates are dropped, and the first three come from at least two
        documents unless the question names a document. `previous` is the
        conversation's earlier question, for follow-ups.
        """
        found = self.assess(query, k, previous)
        return found.hits if self.gate.clears(found.signals) else []

    def diverse(self, query: str, k: int, balance: float = 0.7) -> list[Hit]:
        """Maximal marginal relevance: relevant passages that say different things."""
        pool = self.relevant(query, limit=40)
        if not pool:
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
