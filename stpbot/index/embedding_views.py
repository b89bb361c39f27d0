"""The vectors that stand for a passage in the index, and how they are embedded.

Each passage has several views, and its dense score is its best one: the passage
itself, the passage after the one before it (which often names what "it" or "the
report" is), and each of its sentences alone.

Only the passages and sentences go through the model. With a mean-pooling model a
text's embedding points along the sum of its token states, so the sum of two
passages' sums points where embedding the two joined would (up to the boundary
tokens and the context each side would have lent the other). That halves the
tokens a build embeds; on the labelled set the eval scores are unchanged.
Identical texts (a disclaimer on every page, a sentence in two reports) are
embedded once. With `tokens`, each passage's token states are kept from the same pass
for late interaction (tokens.py), and so are its caption's (`caption`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from stpbot.chunk.chunking import Passage

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

    from stpbot.documents import Source
    from stpbot.embedding import Embedder
    from stpbot.embedding.base import Progress, Tokens

# Vector roles: which view of a passage a vector embeds (>= 0: that sentence alone).
ROLE_PASSAGE = -2
ROLE_CONTEXT = -1


def preceding(passages: list[Passage]) -> list[str]:
    """The passage before each one in a document ("" for the first)."""
    return ["", *(p.text for p in passages[:-1])]


def caption(source: Source, heading: str | None = None) -> str:
    """What a reader sees above a passage: its document's title, publisher and author,
    and its section `heading`, each once."""
    parts = (source.title, source.publisher, source.author, heading)
    return ". ".join(dict.fromkeys(part.strip() for part in parts if part and part.strip()))


def view_texts(passage: Passage, context: str) -> list[tuple[int, str]]:
    """Each view of a passage as the text it embeds, with its role."""
    views = [(ROLE_PASSAGE, passage.text)]
    if context:
        views.append((ROLE_CONTEXT, f"{context} {passage.text}"))
    if len(passage.sentences) > 1:
        views.extend(enumerate(passage.sentence_texts()))
    return views


@dataclass
class ViewPlan:
    """The views of new documents' passages, and the distinct texts they need.

    `summed` (a mean-pooling model) makes each context view the sum of two
    passages' token states; otherwise its joined text is embedded as well.
    `tokens` keeps each passage's token states too.
    """

    summed: bool
    tokens: bool = False
    texts: list[str] = field(default_factory=list)
    _slots: dict[str, int] = field(default_factory=dict)
    # Per document: each view's role and the rows of `texts` whose results it adds.
    _documents: list[list[tuple[int, int, int]]] = field(default_factory=list)
    _counts: list[list[int]] = field(default_factory=list)
    _passage_slots: list[list[int]] = field(default_factory=list)
    _captions: list[list[str]] = field(default_factory=list)
    _caption_states: dict[str, Tokens] = field(default_factory=dict)
    _token_states: dict[int, Tokens] = field(default_factory=dict)

    def _slot(self, text: str) -> int:
        slot = self._slots.get(text)
        if slot is None:
            slot = self._slots[text] = len(self.texts)
            self.texts.append(text)
        return slot

    def add(self, passages: list[Passage], captions: Sequence[str] = ()) -> int:
        """Plan one document's views, and with `tokens` its passages' `captions` (one
        each) for their token states; returns its number for `roles` and `vectors`."""
        views: list[tuple[int, int, int]] = []
        counts: list[int] = []
        for passage, context in zip(passages, preceding(passages), strict=True):
            texts = view_texts(passage, context)
            for role, text in texts:
                if role == ROLE_CONTEXT and self.summed:
                    views.append((role, self._slot(context), self._slot(passage.text)))
                else:
                    views.append((role, self._slot(text), -1))
            counts.append(len(texts))
        self._documents.append(views)
        self._counts.append(counts)
        self._passage_slots.append([self._slot(p.text) for p in passages])
        self._captions.append(list(captions))
        return len(self._documents) - 1

    def roles(self, document: int) -> np.ndarray:
        import numpy as np

        return np.array([role for role, _, _ in self._documents[document]], dtype=np.int16)

    def counts(self, document: int) -> list[int]:
        """How many views each of the document's passages has."""
        return self._counts[document]

    def passage_tokens(self, document: int) -> list[Tokens]:
        """The token states of each of the document's passages, once embedded."""
        return [self._token_states[slot] for slot in self._passage_slots[document]]

    def caption_tokens(self, document: int) -> list[tuple[str, Tokens]]:
        """Each of the document's passages' captions and its token states, once embedded."""
        return [(text, self._caption_states[text]) for text in self._captions[document]]

    def embed(self, embedder: Embedder, progress: Progress | None = None) -> list[np.ndarray]:
        """Embed the distinct texts once; each planned document's unit view vectors."""
        import numpy as np

        if not self._documents:
            return []
        if self.tokens:
            wanted = [False] * len(self.texts)
            for slots in self._passage_slots:
                for slot in slots:
                    wanted[slot] = True
        if self.summed and self.tokens:
            embedded, self._token_states = embedder.embed_sums_and_tokens(
                self.texts, wanted, progress
            )
        elif self.summed:
            embedded = embedder.embed_sums(self.texts, progress)
        else:
            embedded = embedder.embed(self.texts, progress)
            if self.tokens:
                slots = [i for i, w in enumerate(wanted) if w]
                states = embedder.embed_tokens([self.texts[i] for i in slots])
                self._token_states = dict(zip(slots, states, strict=True))
        if self.tokens:
            # Apart from the views: with int8 activations a text's states depend a
            # little on its batch, and the captions must not move the passages'.
            distinct = list(dict.fromkeys(t for texts in self._captions for t in texts))
            states = embedder.embed_tokens(distinct) if distinct else []
            self._caption_states = dict(zip(distinct, states, strict=True))
        out = []
        for views in self._documents:
            first = np.array([a for _, a, _ in views], dtype=np.int64)
            second = np.array([b for _, _, b in views], dtype=np.int64)
            vectors = embedded[first]
            joined = second >= 0
            vectors[joined] += embedded[second[joined]]
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            out.append(np.asarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32))
        return out
