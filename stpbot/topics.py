"""The topic catalogue (`knowledge/topics.yaml`) that summaries and comparisons use."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from stpbot.errors import StpbotError

TOPICS_FILE = "topics.yaml"


class Topic(BaseModel):
    id: str
    name: str
    description: str

    @property
    def query(self) -> str:
        """What retrieval searches for when this topic is asked about."""
        return f"{self.name}: {self.description}"


class _Catalogue(BaseModel):
    topics: list[Topic]


def load_topics(knowledge_dir: Path) -> list[Topic]:
    """Topics from `topics.yaml` in the knowledge folder; none when the file is absent."""
    path = knowledge_dir / TOPICS_FILE
    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {"topics": []}
        return _Catalogue.model_validate(data).topics
    except (yaml.YAMLError, ValidationError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0]
        raise StpbotError(f"{path} is not a valid topic list: {first}") from exc


def _key(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def find_topic(topics: list[Topic], text: str) -> Topic | None:
    """The topic `text` names (by id, name, or a word of its name); None for free text."""
    key = _key(text)
    if not key:
        return None
    for topic in topics:
        if key in {_key(topic.id), _key(topic.name)}:
            return topic
    partial = [t for t in topics if key in _key(t.name) or key in _key(t.id)]
    return partial[0] if len(partial) == 1 else None
