"""Synthetic corpora and queries for the benchmarks, all made from the bundled briefings."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

    import numpy as np

REPO = Path(__file__).resolve().parent.parent
EVAL = REPO.parent / "shared" / "eval" / "questions.jsonl"
QUESTIONS = [
    "why were patients absent from STP governance?",
    "why were councils unhappy with STPs?",
    "when will all the STPs be published?",
    "what did the King's Fund say about engagement?",
    "how should STPs involve the voluntary sector?",
    "what did Sir Bruce say about secrecy?",
    "what is the biggest risk for STPs?",
    "how can the public sector increase engagement?",
]


def questions() -> list[str]:
    """The timing questions: the list above plus the labelled set's, when present.

    Only used for timings and for recall of the approximate index, never tuned on.
    """
    found = list(QUESTIONS)
    if EVAL.exists():
        found += [json.loads(line)["question"] for line in EVAL.open(encoding="utf-8")]
    return found


def sentences() -> list[str]:
    text = " ".join(
        p.read_text(encoding="utf-8").split("---", 2)[-1] for p in (REPO / "knowledge").glob("*.md")
    )
    found = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    return [s for s in found if 40 <= len(s) <= 300 and not s.startswith("#")]


def _reworded(sentence: str, vocabulary: list[str], rng: random.Random) -> str:
    """The sentence with two of its longer words swapped for others from the briefings,
    so that 100,000 passages are not 600 copies of the same few hundred sentences."""
    words = sentence.split()
    slots = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    for i in rng.sample(slots, min(2, len(slots))):
        words[i] = rng.choice(vocabulary)
    return " ".join(words)


PER_DOCUMENT = 20
# The chunker keeps most paragraphs of three of these sentences whole (6,200
# paragraphs made 6,099 passages; with passages of up to three sentences, 10,003).
PASSAGES_PER_PARAGRAPH = 0.98


def synthetic_documents(paragraphs: int, seed: int = 7) -> Iterator[list[list[str]]]:
    """`paragraphs` paragraphs (to a multiple of 20), 20 to a document, each of 3
    recombined sentences."""
    rng = random.Random(seed)
    pool = sentences()
    vocabulary = sorted({w for s in pool for w in s.split() if len(w) > 4 and w.isalpha()})
    for _ in range(max(1, paragraphs // PER_DOCUMENT)):
        yield [
            [_reworded(s, vocabulary, rng) for s in rng.sample(pool, 3)]
            for _ in range(PER_DOCUMENT)
        ]


def document_file(folder: Path, number: int, paragraphs: list[list[str]]) -> Path:
    """Write one synthetic briefing as Markdown with a title and publisher."""
    body = "\n\n".join(" ".join(sentences) for sentences in paragraphs)
    path = folder / f"doc-{number:05d}.md"
    path.write_text(
        f"---\ntitle: Synthetic briefing {number}\npublisher: Bench {number % 7}\n---\n\n{body}\n",
        encoding="utf-8",
    )
    return path


def make_corpus(folder: Path, passages: int, seed: int = 7) -> None:
    """About `passages` passages (within 1-2 %): documents of 20 paragraphs of 3
    recombined sentences."""
    folder.mkdir(parents=True)
    count = round(passages / PASSAGES_PER_PARAGRAPH)
    for number, paragraphs in enumerate(synthetic_documents(count, seed)):
        document_file(folder, number, paragraphs)


def views_of(knowledge: Path, count: int) -> list[str]:
    """The first `count` texts the indexer would embed for this folder."""
    from stpbot.chunk.chunking import chunk_document
    from stpbot.index.embedding_views import ViewPlan
    from stpbot.ingest import discover, load_document
    from stpbot.ingest.limits import Limits

    plan = ViewPlan(summed=True)
    for path in discover(knowledge):
        plan.add(chunk_document(load_document(path, knowledge, Limits())))
        if len(plan.texts) >= count:
            break
    return plan.texts[:count]


def blended(source: np.ndarray, count: int, seed: int = 5) -> np.ndarray:
    """`count` unit vectors, each a real embedding plus half another plus a little noise:
    shaped like real passages, but not copies of them."""
    import numpy as np

    rng = np.random.default_rng(seed)
    out = np.empty((count, source.shape[1]), dtype=np.float32)
    for start in range(0, count, 100_000):
        n = min(100_000, count - start)
        part = (
            source[rng.integers(0, len(source), n)] + 0.5 * source[rng.integers(0, len(source), n)]
        )
        part += rng.normal(scale=0.02, size=part.shape).astype(np.float32)
        out[start : start + n] = part / np.linalg.norm(part, axis=1, keepdims=True)
    return out


def recall_at_10(index: Any, data: np.ndarray, queries: np.ndarray) -> float:
    """Share of the exact top 10 the index returns, by exact score, so tied copies count."""
    import faiss
    import numpy as np

    exact = faiss.IndexFlatIP(data.shape[1])
    exact.add(np.ascontiguousarray(data, dtype=np.float32))
    truth, _ = exact.search(queries, 10)
    _, found = index.search(queries, 10)
    # Rescored from the stored vectors: an index's own scores are rounded when it keeps
    # its vectors in float16, and a true neighbour then fell below the cut.
    scores = np.einsum("qkd,qd->qk", np.asarray(data[np.maximum(found, 0)]), queries)
    cut = truth[:, -1:] - 1e-5
    return float(np.mean((scores >= cut) & (found >= 0)))
