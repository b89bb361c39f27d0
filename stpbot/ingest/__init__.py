"""Ingestion: a knowledge file in, a clean `Document` out.

Loaders are chosen by file suffix; a new format registers one in `LOADERS`. A
sidecar `NAME.meta.yaml` beside a file overrides the metadata found in it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

from stpbot.documents import Document, Source
from stpbot.errors import DocumentError
from stpbot.ingest.blocks import assemble_blocks, first_heading, normalise_space
from stpbot.ingest.docx import load_docx
from stpbot.ingest.html import load_html
from stpbot.ingest.loaded import MB, Limits, Loaded
from stpbot.ingest.pdf import load_pdf
from stpbot.ingest.text import load_markdown, load_plaintext

Loader = Callable[[bytes, str, Limits], Loaded]

LOADERS: dict[str, Loader] = {
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".txt": load_plaintext,
    ".pdf": load_pdf,
    ".docx": load_docx,
    ".html": load_html,
    ".htm": load_html,
}

# Files in knowledge/ that are configuration, not documents.
_NOT_DOCUMENTS = {"topics.yaml", "topics.yml", "readme.md"}
_SIDECAR_SUFFIXES = (".meta.yaml", ".meta.yml")
_META_FIELDS = ("title", "publisher", "author", "date", "url")

__all__ = ["LOADERS", "Limits", "checksum", "discover", "load_document", "supported"]


def _is_sidecar(path: Path) -> bool:
    return path.name.lower().endswith(_SIDECAR_SUFFIXES)


def supported(path: Path) -> bool:
    """Whether `path` is a document this build can load."""
    return path.suffix.lower() in LOADERS and path.name.lower() not in _NOT_DOCUMENTS


def discover(root: Path) -> Iterator[Path]:
    """Candidate document files under `root`, sorted, skipping hidden files, config and
    metadata sidecars."""
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if path.name.lower() in _NOT_DOCUMENTS or _is_sidecar(path):
            continue
        yield path


def sidecar(path: Path, siblings: set[str] | None = None) -> Path | None:
    """`report.meta.yaml` (or `report.pdf.meta.yaml`) beside `report.pdf`, if present.

    `siblings`, the names in the file's folder, saves a stat per candidate name.
    """
    for suffix in _SIDECAR_SUFFIXES:
        for candidate in (path.with_suffix(suffix), path.with_name(path.name + suffix)):
            if candidate.name in siblings if siblings is not None else candidate.is_file():
                return candidate
    return None


def checksum(path: Path, data: bytes | None = None) -> str:
    """The content hash that decides whether a document changed: the file and its sidecar.

    Pass `data` when the file is already read, so the hash is of what was parsed.
    """
    digest = hashlib.sha256(path.read_bytes() if data is None else data)
    meta = sidecar(path)
    if meta is not None:
        digest.update(b"\0sidecar\0" + meta.read_bytes())
    return digest.hexdigest()


def _sidecar_meta(path: Path, rel: str) -> dict[str, object]:
    meta_path = sidecar(path)
    if meta_path is None:
        return {}
    import yaml

    try:
        data = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DocumentError(f"{rel}: its metadata file {meta_path.name} is not valid YAML") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise DocumentError(f"{rel}: {meta_path.name} must be a mapping of field: value")
    return data


def _text_field(meta: dict[str, object], key: str) -> str | None:
    value = meta.get(key)
    if value is None or value == "":
        return None
    return normalise_space(str(value))


def load_document(path: Path, root: Path, limits: Limits | None = None) -> Document:
    """Read one knowledge file into a `Document`; raises `DocumentError` on bad input.

    Parsers of untrusted formats run here; `stpbot.ingest.isolation` calls this in a
    child process with memory and time limits.
    """
    limits = limits or Limits()
    rel = path.relative_to(root).as_posix()
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise DocumentError(f"{rel}: unsupported file type {path.suffix or '(none)'}")
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise DocumentError(
                f"{rel} is {size / MB:,.1f} MB, over the {limits.max_bytes / MB:,.0f} MB limit "
                "(STPBOT_MAX_FILE_MB)"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{rel}: cannot read ({exc.strerror})") from exc
    loaded = loader(data, rel, limits)
    meta = {**{k: v for k, v in loaded.meta.items() if v}, **_sidecar_meta(path, rel)}
    title = (
        _text_field(meta, "title") or first_heading(loaded.blocks) or path.stem.replace("-", " ")
    )
    fields = {key: _text_field(meta, key) for key in _META_FIELDS}
    fields["title"] = title
    doc_id = _text_field(meta, "id") or path.relative_to(root).with_suffix("").as_posix()
    source = Source(id=doc_id, path=rel, **fields)  # type: ignore[arg-type]
    blocks = assemble_blocks(loaded.blocks, title)
    if not blocks:
        raise DocumentError(f"{rel}: no readable paragraphs")
    return Document(source=source, checksum=checksum(path, data), blocks=blocks, pages=loaded.pages)
