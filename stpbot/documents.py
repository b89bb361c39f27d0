"""The `Document` model: one source file as clean text blocks plus its metadata."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Source:
    """Attribution for a document, as shown beside every quote."""

    id: str
    title: str
    path: str
    publisher: str | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None

    @property
    def organisation(self) -> str:
        """Who speaks in this document: the publisher, else the author, else the title."""
        return self.publisher or self.author or self.title


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph (or list item) of clean text; `number` gives the "para N" locator,
    `page` (for paged formats such as PDF) the "p. N" one."""

    text: str
    number: int
    heading: str | None = None
    page: int | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """A loaded knowledge file: its attribution, checksum and paragraphs."""

    source: Source
    checksum: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)
    pages: int | None = None

    @property
    def id(self) -> str:
        return self.source.id
