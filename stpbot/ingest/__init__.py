"""Ingestion: a knowledge file in, a clean `Document` out.

Loaders are chosen by file suffix; a new format registers one in `LOADERS`. A
sidecar `NAME.meta.yaml` beside a file overrides the metadata found in it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from stpbot.defaults import MB
from stpbot.documents import Document, Source
from stpbot.errors import DocumentError
from stpbot.ingest.blocks import assemble_blocks, first_heading, normalise_space
from stpbot.ingest.docx import load_docx
from stpbot.ingest.html import load_html
from stpbot.ingest.limits import Limits
from stpbot.ingest.loaded import Loaded
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
# The knowledge folder's own configuration files, never documents.
NOT_DOCUMENTS = frozenset(
    {"topics.yaml", "topics.yml", "glossary.yaml", "glossary.yml", "readme.md"}
)
_SIDECAR_SUFFIXES = (".meta.yaml", ".meta.yml")
_META_FIELDS = ("title", "publisher", "author", "date", "url")

__all__ = [
    "LOADERS",
    "Candidate",
    "Limits",
    "candidates",
    "checksum",
    "discover",
    "load_document",
    "supported",
]


def _is_sidecar(name: str) -> bool:
    return name.lower().endswith(_SIDECAR_SUFFIXES)


def supported(path: Path) -> bool:
    """Whether `path` is a document this build can load."""
    return path.suffix.lower() in LOADERS and path.name.lower() not in NOT_DOCUMENTS


@dataclass(frozen=True, slots=True)
class Candidate:
    """A file `discover` would yield, with what a staleness check needs as plain strings."""

    rel: str  # its path under the root, with forward slashes, always valid UTF-8
    path: str
    sidecar: str | None
    # False when the name on disk is not UTF-8: `rel` then shows the bytes escaped,
    # and the file is skipped (every record of the index must be UTF-8 text).
    name_ok: bool = True
    # A symbolic link to a file outside the folder: skipped unread, so that a link
    # (planted, or left from a copy) cannot put any file the bot can read into answers.
    outside: bool = False


def _shown(rel: str) -> tuple[str, bool]:
    """`rel` as UTF-8 text, and whether it already was (names on disk are bytes)."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(rel).decode("utf-8", "backslashreplace"), False
    return rel, True


def _sidecar_names(name: str) -> Iterator[str]:
    """`report.meta.yaml` and `report.pdf.meta.yaml` for `report.pdf`, in order of preference."""
    dot = name.rfind(".")
    stem = name[:dot] if 0 < dot < len(name) - 1 else name
    for suffix in _SIDECAR_SUFFIXES:
        yield stem + suffix
        yield name + suffix


def candidates(root: Path) -> list[Candidate]:
    """Candidate document files under `root`, sorted, skipping hidden files, config and
    metadata sidecars. A symlinked file counts if it resolves inside `root` (it is
    marked `outside` otherwise); symlinked folders are not followed.

    Strings, not Paths, and os.scandir, not Path.rglob: a cold `stpbot ask` walks the
    whole folder for its staleness check, and pathlib's parsing and comparisons took
    most of a second at 31,000 files.
    """
    found: list[tuple[list[str], Candidate]] = []
    inside = os.path.realpath(root)
    pending: list[tuple[str, list[str]]] = [(str(root), [])]
    while pending:
        folder, parts = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue  # as rglob did: a missing or unreadable folder holds nothing
        metas = {entry.name for entry in entries if _is_sidecar(entry.name)}
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                pending.append((entry.path, [*parts, name]))
            elif entry.is_file() and name.lower() not in NOT_DOCUMENTS and not _is_sidecar(name):
                meta = next((m for m in _sidecar_names(name) if m in metas), None) if metas else ""
                rel = [*parts, name]
                meta_path = os.path.join(folder, meta) if meta else None  # noqa: PTH118
                shown, name_ok = _shown("/".join(rel))
                outside = entry.is_symlink() and not _within(entry.path, inside)
                found.append((rel, Candidate(shown, entry.path, meta_path, name_ok, outside)))
    # Part by part, as Paths sort: "a/b" before "a-b".
    found.sort(key=lambda pair: pair[0])
    return [candidate for _, candidate in found]


def _within(path: str, root: str) -> bool:
    """Whether `path`, its links resolved, lies under the folder `root` (resolved)."""
    target = os.path.realpath(path)
    return os.path.commonpath([target, root]) == root


def discover(root: Path) -> Iterator[Path]:
    """The paths of `candidates(root)`, in the same order."""
    return (Path(candidate.path) for candidate in candidates(root))


def sidecar(path: Path) -> Path | None:
    """`report.meta.yaml` (or `report.pdf.meta.yaml`) beside `report.pdf`, if present."""
    for name in _sidecar_names(path.name):
        if (path.parent / name).is_file():
            return path.with_name(name)
    return None


def checksum(path: Path, data: bytes | None = None) -> str:
    """The content hash that decides whether a document changed: the file and its sidecar.

    Pass `data` when the file is already read, so the hash is of what was parsed.
    """
    if data is None:
        with path.open("rb") as file:  # in chunks: a huge file must not fill memory
            digest = hashlib.file_digest(file, "sha256")
    else:
        digest = hashlib.sha256(data)
    meta = sidecar(path)
    if meta is not None:
        digest.update(b"\0sidecar\0")
        with meta.open("rb") as file:
            digest.update(hashlib.file_digest(file, "sha256").digest())
    return digest.hexdigest()


# Files the build never reads are known by their size and time, not their contents.
UNREAD = "unread:"
BAD_NAME = "unread-name:"
OUTSIDE = "unread-link:"


def stamp(found: Candidate, size: int, mtime_ns: int) -> str | None:
    """The stand-in checksum of a file the build will not read (an unsupported type, a
    name that is not UTF-8, a link out of the folder), from its size and time, so
    watching it costs no read; None for a document."""
    if found.outside:
        return f"{OUTSIDE}{size}:{mtime_ns}"
    if found.name_ok and supported(Path(found.path)):
        return None
    return f"{UNREAD if found.name_ok else BAD_NAME}{size}:{mtime_ns}"


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
