"""Word (.docx) through python-docx: paragraphs in order, heading styles kept as headings.

A .docx is a zip, so its declared sizes are checked before anything is unpacked.
"""

from __future__ import annotations

import io
import zipfile
from typing import TYPE_CHECKING

from stpbot.defaults import MB
from stpbot.errors import DocumentError
from stpbot.ingest.blocks import RawBlock
from stpbot.ingest.loaded import Loaded

if TYPE_CHECKING:
    from stpbot.ingest.limits import Limits

_HEADING_STYLES = ("heading", "title", "subtitle")


def _check_zip(data: bytes, name: str, limits: Limits) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise DocumentError(f"{name} is not a readable Word file (corrupt or truncated)") from exc
    unpacked = sum(m.file_size for m in members)
    if unpacked > limits.max_unzipped_bytes:
        raise DocumentError(
            f"{name} would unpack to {unpacked / MB:,.0f} MB, over the "
            f"{limits.max_unzipped_bytes / MB:,.0f} MB limit (a zip bomb?)"
        )


def load_docx(data: bytes, name: str, limits: Limits) -> Loaded:
    _check_zip(data, name, limits)
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise DocumentError(f"{name} is not a readable Word file (corrupt or truncated)") from exc
    except MemoryError:
        raise  # the child's memory cap at work; reported as such by the caller
    except Exception as exc:  # lxml raises its own family for broken XML
        raise DocumentError(f"{name} is not a readable Word file ({type(exc).__name__})") from exc
    blocks = []
    for paragraph in document.paragraphs:
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        heading = style.lower().startswith(_HEADING_STYLES)
        blocks.append(RawBlock(paragraph.text, is_heading=heading))
    props = document.core_properties
    created = props.created
    meta: dict[str, object] = {
        "title": props.title or None,
        "author": props.author or None,
        "date": created.date().isoformat() if created else None,
    }
    return Loaded(blocks, meta)
