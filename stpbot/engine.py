"""The core a frontend talks to: open an index, then ask, summarise and compare."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from stpbot.answers import (
    Answer,
    Comparison,
    Summary,
    answer_from,
    comparison_from,
    summary_from,
)
from stpbot.defaults import MAX_QUESTION_CHARS
from stpbot.errors import QuestionError
from stpbot.glossary import Glossary, load_glossary
from stpbot.index.store import load_index
from stpbot.retrieve.gate import Gate
from stpbot.retrieve.retriever import Retriever
from stpbot.topics import Topic, find_topic, load_topics

if TYPE_CHECKING:
    from stpbot.documents import Source
    from stpbot.embedding import Embedder
    from stpbot.index.store import LoadedIndex
    from stpbot.retrieve.hits import Assessment

SUMMARY_QUOTES = 6


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """A document the bot knows, for `sources` listings."""

    source: Source
    passages: int


def check_question(text: str, limit: int = MAX_QUESTION_CHARS) -> str:
    """The question, trimmed; raises `QuestionError` if empty or longer than `limit`."""
    question = " ".join(text.split())
    try:
        question.encode("utf-8")
    except UnicodeEncodeError as exc:  # bytes that were not UTF-8, smuggled in as surrogates
        raise QuestionError("the question is not UTF-8 text") from exc
    if not question:
        raise QuestionError("the question is empty; ask something about the briefings")
    if len(question) > limit:
        raise QuestionError(
            f"the question is {len(question):,} characters long; the limit is {limit:,}"
        )
    return question


class Engine:
    """Answers questions from one loaded index."""

    def __init__(
        self,
        index: LoadedIndex,
        embedder: Embedder,
        topics: list[Topic],
        gate: Gate | None = None,
        max_question_chars: int = MAX_QUESTION_CHARS,
        glossary: Glossary | None = None,
    ) -> None:
        self.index = index
        self.topics = topics
        self.glossary = glossary or Glossary()
        self.retriever = Retriever(index, embedder, gate=gate, glossary=self.glossary)
        self.max_question_chars = max_question_chars

    @classmethod
    def open(
        cls,
        *,
        knowledge_dir: Path,
        index_dir: Path,
        embedder: Embedder,
        gate: Gate | None = None,
        max_question_chars: int = MAX_QUESTION_CHARS,
        full_check: bool = False,
    ) -> Engine:
        """Load the live index and the model; building a stale index is the caller's step.
        `full_check` hashes every index file (a server's start-up does)."""
        index = load_index(
            index_dir, embedder.name, embedder.backend, embedder.dimension, full_check=full_check
        )
        # Load the model now: a damaged export fails here, at start-up, not at the first
        # question, and the first question is not slowed by it.
        embedder.load()
        topics, glossary = load_topics(knowledge_dir), load_glossary(knowledge_dir)
        return cls(index, embedder, topics, gate, max_question_chars, glossary)

    def ask(self, question: str, k: int = 3, previous: str | None = None) -> Answer:
        """The `k` most relevant quotes for `question`, or an empty answer.

        `previous` is the earlier question of the same conversation, if any.
        """
        question = check_question(question, self.max_question_chars)
        return answer_from(question, self.retriever.search(question, k, previous=previous))

    def assess(self, question: str, k: int = 3) -> Assessment:
        """The passages `ask` would quote were the gate to let it, and the gate's signals
        (what the evaluation needs to score other gates than this engine's)."""
        question = check_question(question, self.max_question_chars)
        return self.retriever.assess(question, k)

    def _topic_query(self, text: str) -> tuple[str, str, str | None]:
        text = check_question(text, self.max_question_chars)
        topic = find_topic(self.topics, text)
        if topic is None:
            return text, text, None
        return topic.name, topic.query, topic.id

    def summary(self, topic: str, k: int = SUMMARY_QUOTES) -> Summary:
        """Diverse quotes on a catalogue topic or free text, grouped by source."""
        name, query, topic_id = self._topic_query(topic)
        return summary_from(name, topic_id, self.retriever.diverse(query, k))

    def compare(self, topic: str) -> Comparison:
        """Each organisation's best quote on a catalogue topic or free text."""
        name, query, topic_id = self._topic_query(topic)
        return comparison_from(name, topic_id, self.retriever.relevant(query, limit=60))

    def sources(self) -> list[SourceInfo]:
        """Every indexed document with its passage count."""
        return [SourceInfo(entry.source, entry.passages) for entry in self.index.manifest.documents]
