"""Ingestion: a knowledge file in, a clean `Document` out.

Loaders are chosen by file suffix; a new format registers a parser in `PARSERS`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

from stpbot.documents import Document, Source
from stpbot.errors import DocumentError
from stpbot.ingest.blocks import RawBlock, assemble_blocks, first_heading, normalise_space
from stpbot.ingest.boilerplate import strip_boilerplate
from stpbot.ingest.markdown import parse_markdown
from stpbot.ingest.plaintext import parse_plaintext

Parser = Callable[[str], list[RawBlock]]

PARSERS: dict[str, Parser] = {
    ".md": parse_markdown,
    ".markdown": parse_markdown,
    ".txt": parse_plaintext,
}

# Files in knowledge/ that are configuration, not documents.
_NOT_DOCUMENTS = {"topics.yaml", "topics.yml", "readme.md"}
_META_FIELDS = ("title", "publisher", "author", "date", "url")


def supported(path: Path) -> bool:
    """Whether `path` is a document this build can load."""
    return path.suffix.lower() in PARSERS and path.name.lower() not in _NOT_DOCUMENTS


def discover(root: Path) -> Iterator[Path]:
    """Candidate document files under `root`, sorted, skipping hidden files and config."""
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if path.name.lower() in _NOT_DOCUMENTS:
            continue
        yield path


def checksum(data: bytes) -> str:
    """The content hash that decides whether a document changed."""
    return hashlib.sha256(data).hexdigest()


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"{name} is not UTF-8 text (byte {exc.start}); re-save it as UTF-8"
        ) from exc


def _front_matter(text: str, name: str) -> tuple[dict[str, object], str]:
    if not text.startswith("---"):
        return {}, text
    import frontmatter
    import yaml

    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as exc:
        raise DocumentError(f"{name} has unreadable front matter: {exc}") from exc
    return dict(post.metadata), post.content


def _text_field(meta: dict[str, object], key: str) -> str | None:
    value = meta.get(key)
    if value is None or value == "":
        return None
    return normalise_space(str(value))


def load_document(path: Path, root: Path) -> Document:
    """Read one knowledge file into a `Document`; raises `DocumentError` on bad input."""
    rel = path.relative_to(root).as_posix()
    parser = PARSERS.get(path.suffix.lower())
    if parser is None:
        raise DocumentError(f"{rel}: unsupported file type {path.suffix or '(none)'}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{rel}: cannot read ({exc.strerror})") from exc
    meta, body = _front_matter(_decode(data, rel), rel)
    raw = parser(strip_boilerplate(body))
    title = _text_field(meta, "title") or first_heading(raw) or path.stem.replace("-", " ")
    fields = {key: _text_field(meta, key) for key in _META_FIELDS}
    fields["title"] = title
    doc_id = _text_field(meta, "id") or path.relative_to(root).with_suffix("").as_posix()
    source = Source(id=doc_id, path=rel, **fields)  # type: ignore[arg-type]
    blocks = assemble_blocks(raw, title)
    if not blocks:
        raise DocumentError(f"{rel}: no readable paragraphs")
    return Document(source=source, checksum=checksum(data), blocks=blocks)
