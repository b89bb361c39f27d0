"""Web pages through trafilatura: the main text only, as Markdown, with the page's
title, author and date; navigation, cookie banners and comment forms are left out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stpbot.errors import DocumentError
from stpbot.ingest.boilerplate import strip_boilerplate
from stpbot.ingest.loaded import Loaded
from stpbot.ingest.markdown import parse_markdown

if TYPE_CHECKING:
    from stpbot.ingest.limits import Limits

# Less main text than this is a page of links and furniture, not a briefing.
MIN_TEXT = 200


def load_html(data: bytes, name: str, limits: Limits) -> Loaded:
    import trafilatura

    text = trafilatura.extract(
        data,
        output_format="markdown",
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        favor_precision=True,
    )
    if not text or len(text.strip()) < MIN_TEXT:
        raise DocumentError(f"{name} has no main text (the page is navigation or boilerplate)")
    found = trafilatura.extract_metadata(data)
    meta: dict[str, object] = {}
    if found is not None:
        meta = {
            "title": found.title,
            "author": found.author,
            "date": found.date,
            "url": found.url,
            "publisher": found.sitename,
        }
    return Loaded(parse_markdown(strip_boilerplate(text)), meta)
