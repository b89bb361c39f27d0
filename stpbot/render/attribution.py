"""The one-line "where this comes from" shared by every renderer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stpbot.wording import shown_date

if TYPE_CHECKING:
    from stpbot.documents import Source


def attribution_parts(source: Source, locator: str | None = None) -> list[str]:
    """Title, organisation, author, date and locator, leaving out what is unknown."""
    parts = [source.title]
    if source.publisher:
        parts.append(source.publisher)
    if source.author:
        parts.append(source.author)
    if source.date:
        parts.append(shown_date(source.date) or source.date)
    if locator:
        parts.append(locator)
    return parts


def attribution(source: Source, locator: str | None = None) -> str:
    return " · ".join(attribution_parts(source, locator))
