"""Markdown to text blocks, through a real CommonMark parser (markdown-it-py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stpbot.ingest.blocks import RawBlock

if TYPE_CHECKING:
    from markdown_it.token import Token


def _inline_text(children: list[Token]) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in {"text", "code_inline", "html_inline"}:
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            # A hard-wrapped line is one sentence continuing, so the break is a space.
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)


def parse_markdown(text: str) -> list[RawBlock]:
    """Split Markdown into headings and paragraphs (list items are paragraphs)."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(text)
    blocks: list[RawBlock] = []
    in_heading = False
    for token in tokens:
        if token.type == "heading_open":
            in_heading = True
        elif token.type == "heading_close":
            in_heading = False
        elif token.type == "inline":
            content = _inline_text(token.children or [])
            blocks.append(RawBlock(content, is_heading=in_heading))
        elif token.type in {"code_block", "fence"}:
            blocks.append(RawBlock(token.content, is_heading=False))
    return blocks
