"""PDF through PDFium (pypdfium2): text by page, paragraphs by the gaps between lines.

PDF text comes as positioned lines, not paragraphs; a gap clearly wider than the
page's usual line spacing, or a change of font size, starts a new block. Lines
that repeat on many pages (running headers, footers) and bare page numbers are
page furniture and are dropped.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass
from statistics import median
from typing import TYPE_CHECKING, Any

from stpbot.errors import DocumentError
from stpbot.ingest.blocks import RawBlock, normalise_space
from stpbot.ingest.loaded import Loaded

if TYPE_CHECKING:
    from stpbot.ingest.limits import Limits

_PAGE_NUMBER = re.compile(r"^(?:page\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$", re.IGNORECASE)
_PDF_DATE = re.compile(r"^D:(\d{4})(\d{2})?(\d{2})?")


@dataclass
class _Line:
    text: str
    top: float
    bottom: float

    @property
    def height(self) -> float:
        return self.top - self.bottom


def _lines(textpage: Any) -> list[_Line]:
    """Text segments merged into visual lines, top to bottom."""
    lines: list[_Line] = []
    for i in range(textpage.count_rects()):
        left, bottom, right, top = textpage.get_rect(i)
        text = normalise_space(textpage.get_text_bounded(left, bottom, right, top))
        if not text:
            continue
        last = lines[-1] if lines else None
        # Segments overlapping vertically with the last line continue it.
        if last and bottom < last.top and top > last.bottom and abs(bottom - last.bottom) < 3:
            last.text += " " + text
            last.top, last.bottom = max(last.top, top), min(last.bottom, bottom)
        else:
            lines.append(_Line(text, top, bottom))
    return lines


def _join(previous: str, line: str) -> str:
    # "transfor-" + "mation": a word broken at the line end.
    if (
        previous.endswith("-")
        and len(previous) > 1
        and previous[-2].isalpha()
        and line[:1].islower()
    ):
        return previous[:-1] + line
    return f"{previous} {line}"


def _paragraphs(lines: list[_Line], page: int) -> list[RawBlock]:
    if not lines:
        return []
    gaps = [a.bottom - b.top for a, b in itertools.pairwise(lines)]
    usual = median(gaps) if gaps else 0.0
    height = median(line.height for line in lines)
    blocks: list[RawBlock] = []
    current = lines[0].text
    for prev, line in itertools.pairwise(lines):
        gap = prev.bottom - line.top
        new_size = abs(line.height - prev.height) > 0.2 * height
        if gap > max(usual * 1.5, usual + 0.4 * height) or new_size or gap < -height:
            blocks.append(RawBlock(current, is_heading=False, page=page))
            current = line.text
        else:
            current = _join(current, line.text)
    blocks.append(RawBlock(current, is_heading=False, page=page))
    return blocks


def _edge_lines(lines: list[_Line]) -> set[str]:
    """Short lines among the first and last two of a page: where headers and footers sit."""
    if not lines:
        return set()
    width = median(len(line.text) for line in lines)
    edges = lines[:2] + lines[-2:]
    return {line.text for line in edges if len(line.text) < 0.6 * width or len(lines) < 4}


def _date(value: str) -> str | None:
    match = _PDF_DATE.match(value or "")
    if not match:
        return None
    year, month, day = match.groups()
    return "-".join(part for part in (year, month, day) if part)


def load_pdf(data: bytes, name: str, limits: Limits) -> Loaded:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise DocumentError(
                f"{name} is an encrypted PDF; save a copy without a password"
            ) from exc
        raise DocumentError(f"{name} is not a readable PDF (corrupt or truncated)") from exc
    try:
        count = len(pdf)
        if count > limits.max_pages:
            raise DocumentError(
                f"{name} has {count:,} pages, over the limit of {limits.max_pages:,} "
                "(STPBOT_MAX_PAGES)"
            )
        pages = []
        for number in range(count):
            page = pdf[number]
            textpage = page.get_textpage()
            pages.append(_lines(textpage))
            textpage.close()
            page.close()
        info = pdf.get_metadata_dict()
    finally:
        pdf.close()
    if not any(pages):
        raise DocumentError(f"{name} has no text layer, needs OCR (a scanned PDF?)")
    # Running headers and footers: the same short line at the top or bottom of at least
    # half the pages (three or more).
    seen = Counter(text for lines in pages for text in _edge_lines(lines))
    furniture = {text for text, n in seen.items() if n >= 3 and n >= len(pages) / 2}
    blocks: list[RawBlock] = []
    for number, lines in enumerate(pages, start=1):
        kept = [ln for ln in lines if ln.text not in furniture and not _PAGE_NUMBER.match(ln.text)]
        blocks.extend(_paragraphs(kept, number))
    meta: dict[str, object] = {
        "title": info.get("Title") or None,
        "author": info.get("Author") or None,
        "date": _date(info.get("CreationDate", "")),
    }
    return Loaded(blocks, meta, pages=count)
