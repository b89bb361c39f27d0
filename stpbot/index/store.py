"""The index on disk: versioned folders, an atomic `current` pointer, verified loads.

Layout::

    index/current                 text file naming the live version
    index/versions/<id>/          manifest.json, vectors.faiss (search),
                                  vectors.npy (read back by row, memory-mapped),
                                  vector_owner.npy, vector_role.npy,
                                  passages.jsonl (read by row) and the starts of
                                  its lines, bm25/, bm25_context/, token_*.npy
                                  and tokens.npy (late interaction; see tokens.py),
                                  .verified.json (see integrity.py)
    index/models/                 ONNX exports of the embedding model

A build writes a new version folder, fsyncs it and only then swaps `current`, so a
crash at any moment leaves the previous version live. No pickle anywhere.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from stpbot.chunk.chunking import Passage
from stpbot.documents import Source
from stpbot.errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from stpbot.index.integrity import digests, record_verified, verify
from stpbot.index.lexical import LexicalIndex
from stpbot.index.passages import PassageStore, write_passages
from stpbot.index.tokens import TokenStore
from stpbot.index.vectors import VectorIndexInfo, build, prepare

if TYPE_CHECKING:
    import numpy as np

# 2: vectors.npy (views read back by row) and the vector index chosen by size.
# 3: passages' token states (tokens.npy and its arrays) for late interaction.
# 4: their captions' token states (caption_tokens.npy and its arrays).
FORMAT_VERSION = 4
POINTER = "current"
VERSIONS = "versions"
MANIFEST = "manifest.json"
KEEP_VERSIONS = 2

REBUILD_HINT = "run `stpbot index --full` to rebuild it"


class DocumentEntry(BaseModel):
    source: Source
    checksum: str
    passages: int
    pages: int | None = None


class SkippedFile(BaseModel):
    path: str
    checksum: str
    reason: str


class Manifest(BaseModel):
    format_version: int
    model: str
    # Indexes from before the ONNX backends were all embedded with PyTorch.
    backend: str = "torch"
    dimension: int
    chunker: str
    index_type: str
    vector_search: VectorIndexInfo = VectorIndexInfo(kind="flat")
    passage_count: int
    vector_count: int
    built_at: str
    build_seconds: float
    documents: list[DocumentEntry]
    skipped: list[SkippedFile]
    files: dict[str, str]
    # sha256 of the knowledge folder's glossary.yaml when built (None: there was none).
    glossary: str | None = None
    # Token states stored for late interaction (not above DEFAULT_TOKEN_PASSAGES).
    token_count: int | None = None


@dataclass
class IndexContents:
    """Everything a build produces, before it is written."""

    documents: list[DocumentEntry]
    skipped: list[SkippedFile]
    passages: list[Passage]
    contexts: list[str]
    vectors: np.ndarray
    owner: np.ndarray
    role: np.ndarray
    model: str
    backend: str
    chunker: str
    build_seconds: float
    glossary: str | None = None
    tokens: TokenStore | None = None


@dataclass
class LoadedIndex:
    """A verified index in memory: passages, sources, vectors and BM25."""

    path: Path
    manifest: Manifest
    passages: Sequence[Passage]  # read from disk by row, on first use
    contexts: Sequence[str]
    sources: dict[str, Source]
    vectors: Any  # faiss.Index, for search
    matrix: np.ndarray  # the same vectors, memory-mapped, for reading rows back
    owner: np.ndarray
    role: np.ndarray
    starts: np.ndarray  # passage i owns vectors starts[i]:starts[i + 1]
    lexical: LexicalIndex
    lexical_context: LexicalIndex
    tokens: TokenStore | None = None  # None: the build kept none (a large collection)

    def vector_range(self, passage: int) -> tuple[int, int]:
        """Rows of `vectors` that belong to passage number `passage`."""
        return int(self.starts[passage]), int(self.starts[passage + 1])

    def document_rows(self) -> dict[str, range]:
        """The passage rows of each document (a build stores them document by document)."""
        rows, start = {}, 0
        for entry in self.manifest.documents:
            rows[entry.source.id] = range(start, start + entry.passages)
            start += entry.passages
        return rows


def _fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Serialise builds of one index folder across processes."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _write_files(folder: Path, contents: IndexContents) -> tuple[dict[str, str], VectorIndexInfo]:
    import faiss
    import numpy as np

    index, search = build(contents.vectors)
    faiss.write_index(index, str(folder / "vectors.faiss"))
    np.save(folder / "vectors.npy", contents.vectors, allow_pickle=False)
    np.save(folder / "vector_owner.npy", contents.owner.astype(np.int32), allow_pickle=False)
    np.save(folder / "vector_role.npy", contents.role.astype(np.int16), allow_pickle=False)
    write_passages(folder / "passages.jsonl", contents.passages, contents.contexts)
    texts = [p.spoken for p in contents.passages]
    LexicalIndex.build(texts).save(folder / "bm25")
    with_context = [f"{c} {t}".strip() for t, c in zip(texts, contents.contexts, strict=True)]
    LexicalIndex.build(with_context).save(folder / "bm25_context")
    if contents.tokens is not None:
        contents.tokens.save(folder)
    return digests(folder), search


def publish(index_dir: Path, contents: IndexContents) -> Manifest:
    """Write `contents` as a new version and make it current; returns its manifest."""
    versions = index_dir / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    version = (
        datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.time_ns() % 10**6}"
    )
    staging = versions / f".build-{version}"
    staging.mkdir()
    try:
        files, search = _write_files(staging, contents)
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            model=contents.model,
            backend=contents.backend,
            dimension=int(contents.vectors.shape[1]),
            chunker=contents.chunker,
            index_type=search.kind,
            vector_search=search,
            passage_count=len(contents.passages),
            vector_count=int(contents.vectors.shape[0]),
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            build_seconds=round(contents.build_seconds, 3),
            glossary=contents.glossary,
            token_count=None if contents.tokens is None else int(contents.tokens.ids.size),
            documents=contents.documents,
            skipped=contents.skipped,
            files=files,
        )
        (staging / MANIFEST).write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
        _fsync_tree(staging)
        # Just hashed while writing: the first load need not hash them again.
        record_verified(staging, sorted(files))
        final = versions / version
        staging.rename(final)
        _fsync_dir(versions)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    previous = _live_name(index_dir)
    _point_to(index_dir, version)
    # Two versions stay (KEEP_VERSIONS): the new one and the one it replaced, for rollback.
    _prune(index_dir, keep={version} | ({previous} if previous else set()))
    return manifest


def _live_name(index_dir: Path) -> str | None:
    try:
        return (index_dir / POINTER).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def _point_to(index_dir: Path, version: str) -> None:
    """Make `version` live: write a new pointer beside the old, then rename over it."""
    pointer_tmp = index_dir / f".{POINTER}.{version}"
    pointer_tmp.write_text(version + "\n", encoding="utf-8")
    with pointer_tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    pointer_tmp.replace(index_dir / POINTER)
    _fsync_dir(index_dir)


def _prune(index_dir: Path, keep: set[str]) -> None:
    """Keep the live version and the one it replaced; drop older ones and dead builds."""
    for path in (index_dir / VERSIONS).iterdir():
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)


def rollback(index_dir: Path) -> Manifest:
    """Make the version kept from before the last build live again (a second rollback
    goes forward again); it is verified first. Returns its manifest."""
    with build_lock(index_dir):
        live = current_version(index_dir).name
        others = sorted(
            (p for p in (index_dir / VERSIONS).iterdir() if not p.name.startswith(".")),
            reverse=True,
        )
        target = next((p for p in others if p.name != live), None)
        if target is None:
            raise IndexMissingError(f"no earlier index version in {index_dir} to roll back to")
        manifest = _manifest_in(target)
        _verify(target, manifest)
        _point_to(index_dir, target.name)
    return manifest


def current_version(index_dir: Path) -> Path:
    """The folder of the live version; raises `IndexMissingError` when there is none."""
    pointer = index_dir / POINTER
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError as exc:
        raise IndexMissingError(f"no index in {index_dir}; run `stpbot index`") from exc
    folder = index_dir / VERSIONS / name
    if not name or "/" in name or not folder.is_dir():
        raise IndexCorruptError(f"index pointer {pointer} names no version; {REBUILD_HINT}")
    return folder


def read_manifest(index_dir: Path) -> Manifest:
    """The live version's manifest, validated but without checking file hashes."""
    return _manifest_in(current_version(index_dir))


def _manifest_in(folder: Path) -> Manifest:
    try:
        return Manifest.model_validate_json((folder / MANIFEST).read_bytes())
    except (OSError, ValidationError, ValueError) as exc:
        raise IndexCorruptError(
            f"index manifest in {folder} is unreadable; {REBUILD_HINT}"
        ) from exc


def _verify(folder: Path, manifest: Manifest, full: bool = False) -> None:
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatchError(
            f"index format {manifest.format_version} is not {FORMAT_VERSION}; {REBUILD_HINT}"
        )
    verify(folder, manifest.files, REBUILD_HINT, full=full)


def verify_index(index_dir: Path) -> tuple[Path, Manifest]:
    """Hash every file of the live index version against its manifest; raises
    `IndexCorruptError` naming the first that differs. The version and its manifest."""
    folder = current_version(index_dir)
    manifest = _manifest_in(folder)
    _verify(folder, manifest, full=True)
    return folder, manifest


def load_index(
    index_dir: Path,
    model: str,
    backend: str,
    dimension: int | None = None,
    *,
    full_check: bool = False,
) -> LoadedIndex:
    """Load and verify the live index; it must have been built with `model` on `backend`.
    `full_check` hashes every file even when the record of the last check matches."""
    import faiss
    import numpy as np

    folder = current_version(index_dir)
    manifest = _manifest_in(folder)  # the folder's own, even if the pointer moves meanwhile
    if (
        manifest.model != model
        or manifest.backend != backend
        or (dimension is not None and manifest.dimension != dimension)
    ):
        raise IndexMismatchError(
            f"index was built with model {manifest.model} on {manifest.backend} "
            f"({manifest.dimension} dims), not {model} on {backend}; {REBUILD_HINT}"
        )
    _verify(folder, manifest, full=full_check)
    try:
        # Memory-mapped vectors: a cold start reads the graph, not every vector.
        vectors = faiss.read_index(str(folder / "vectors.faiss"), faiss.IO_FLAG_MMAP_IFC)
        prepare(vectors, manifest.vector_search)
        # A plain view of the mapping: numpy's memmap subclass costs microseconds a slice.
        matrix = np.load(folder / "vectors.npy", mmap_mode="r", allow_pickle=False)
        matrix = matrix.view(np.ndarray)
        owner = np.load(folder / "vector_owner.npy", allow_pickle=False)
        role = np.load(folder / "vector_role.npy", allow_pickle=False)
        stored = PassageStore(folder / "passages.jsonl")
        lexical = LexicalIndex.load(folder / "bm25", len(stored))
        lexical_context = LexicalIndex.load(folder / "bm25_context", len(stored))
        tokens = None if manifest.token_count is None else TokenStore.load(folder)
    except (OSError, RuntimeError, ValueError, json.JSONDecodeError) as exc:
        raise IndexCorruptError(
            f"index in {folder} cannot be read ({exc}); {REBUILD_HINT}"
        ) from exc
    counts_ok = (
        vectors.ntotal == manifest.vector_count == len(owner) == len(role) == len(matrix)
        and vectors.d == manifest.dimension == matrix.shape[1]
        and len(stored) == manifest.passage_count == sum(d.passages for d in manifest.documents)
        and (
            tokens is None
            or (
                tokens.consistent(len(stored), manifest.dimension)
                and tokens.ids.size == manifest.token_count
            )
        )
    )
    if not counts_ok:
        raise IndexCorruptError(f"index in {folder} is inconsistent; {REBUILD_HINT}")
    return LoadedIndex(
        path=folder,
        manifest=manifest,
        passages=stored.passages,
        contexts=stored.contexts,
        sources={d.source.id: d.source for d in manifest.documents},
        vectors=vectors,
        matrix=matrix,
        owner=owner,
        role=role,
        starts=np.searchsorted(owner, np.arange(len(stored) + 1), side="left"),
        lexical=lexical,
        lexical_context=lexical_context,
        tokens=tokens,
    )
