"""Build the index from a knowledge folder: ingest, chunk, embed, publish.

Unchanged documents (same checksum, model and chunker) keep their vectors from the
live index, so a rebuild only embeds what changed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from stpbot.chunking import CHUNKER_VERSION, Passage, chunk_document
from stpbot.errors import DocumentError, StpbotError
from stpbot.index import (
    ROLE_CONTEXT,
    ROLE_PASSAGE,
    DocumentEntry,
    IndexContents,
    LoadedIndex,
    Manifest,
    SkippedFile,
    build_lock,
    load_index,
    publish,
    read_manifest,
)
from stpbot.ingest import checksum, discover, load_document, supported

if TYPE_CHECKING:
    import numpy as np

    from stpbot.documents import Document
    from stpbot.embedding import Embedder


class BuildProgress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, count: int) -> None: ...


@dataclass
class BuildReport:
    """What a build did, for the one-line summary."""

    manifest: Manifest
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> list[SkippedFile]:
        return self.manifest.skipped

    def summary(self) -> str:
        m = self.manifest
        parts = [
            f"indexed {len(m.documents)} documents, {m.passage_count} passages "
            f"in {m.build_seconds:.1f}s",
            f"{len(self.added)} added, {len(self.changed)} changed, "
            f"{len(self.removed)} removed, {len(self.unchanged)} unchanged",
        ]
        if m.skipped:
            parts.append(f"{len(m.skipped)} skipped")
        return "; ".join(parts)


def knowledge_state(knowledge_dir: Path) -> dict[str, str]:
    """Checksum of every candidate file under the knowledge folder, by relative path."""
    return {
        path.relative_to(knowledge_dir).as_posix(): checksum(path.read_bytes())
        for path in discover(knowledge_dir)
    }


def is_stale(index_dir: Path, knowledge_dir: Path, model: str) -> bool:
    """True when the live index misses, or was built from other files or settings."""
    manifest = read_manifest(index_dir)
    built = {d.source.path: d.checksum for d in manifest.documents}
    built.update({s.path: s.checksum for s in manifest.skipped})
    return (
        manifest.model != model
        or manifest.chunker != CHUNKER_VERSION
        or built != knowledge_state(knowledge_dir)
    )


def _contexts(passages: list[Passage]) -> list[str]:
    """The passage before each one, which often names what "it" or "the report" is."""
    return ["", *(p.text for p in passages[:-1])]


def _views(passage: Passage, context: str) -> list[tuple[int, str]]:
    """The texts embedded for one passage, each with its role."""
    views = [(ROLE_PASSAGE, passage.text)]
    if context:
        views.append((ROLE_CONTEXT, f"{context} {passage.text}"))
    if len(passage.sentences) > 1:
        views.extend(enumerate(passage.sentence_texts()))
    return views


def _reusable(index_dir: Path, model: str, dimension: int) -> LoadedIndex | None:
    try:
        previous = load_index(index_dir, model, dimension)
    except StpbotError:
        return None
    return previous if previous.manifest.chunker == CHUNKER_VERSION else None


def _load_all(knowledge_dir: Path) -> tuple[list[Document], list[SkippedFile]]:
    documents: list[Document] = []
    skipped: list[SkippedFile] = []
    seen: dict[str, str] = {}
    for path in discover(knowledge_dir):
        rel = path.relative_to(knowledge_dir).as_posix()
        digest = checksum(path.read_bytes())
        if not supported(path):
            reason = f"unsupported file type {path.suffix or '(none)'}"
            skipped.append(SkippedFile(path=rel, checksum=digest, reason=reason))
            continue
        try:
            document = load_document(path, knowledge_dir)
        except DocumentError as exc:
            skipped.append(SkippedFile(path=rel, checksum=digest, reason=str(exc)))
            continue
        if document.id in seen:
            reason = f"document id {document.id} is already used by {seen[document.id]}"
            skipped.append(SkippedFile(path=rel, checksum=digest, reason=reason))
            continue
        seen[document.id] = rel
        documents.append(document)
    return documents, skipped


def build_index(
    knowledge_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    progress: BuildProgress | None = None,
    full: bool = False,
) -> BuildReport:
    """Index every document under `knowledge_dir` and publish the result atomically."""
    import numpy as np

    started = time.perf_counter()
    if not knowledge_dir.is_dir():
        raise StpbotError(f"knowledge folder {knowledge_dir} does not exist")
    with build_lock(index_dir):
        documents, skipped = _load_all(knowledge_dir)
        if not documents:
            reasons = "; ".join(f"{s.path}: {s.reason}" for s in skipped[:3])
            raise StpbotError(
                f"no documents to index in {knowledge_dir}" + (f" ({reasons})" if reasons else "")
            )
        dimension = embedder.dimension
        previous = None if full else _reusable(index_dir, embedder.name, dimension)
        old = {d.source.id: d for d in previous.manifest.documents} if previous else {}
        report_lists: dict[str, list[str]] = {"added": [], "changed": [], "unchanged": []}

        passages: list[Passage] = []
        contexts: list[str] = []
        entries: list[DocumentEntry] = []
        pieces: list[np.ndarray] = []  # vectors, per document, in passage order
        roles: list[np.ndarray] = []
        counts: list[int] = []  # vectors per passage
        to_embed: list[tuple[int, list[tuple[int, str]]]] = []  # slot in pieces, views

        for document in documents:
            prior = old.get(document.id)
            reuse = (
                previous is not None and prior is not None and prior.checksum == document.checksum
            )
            if reuse and previous is not None:
                doc_rows = [i for i, p in enumerate(previous.passages) if p.doc_id == document.id]
                doc_passages = [previous.passages[i] for i in doc_rows]
                doc_contexts = [previous.contexts[i] for i in doc_rows]
                spans = [previous.vector_range(i) for i in doc_rows]
                rows = np.concatenate([np.arange(a, b) for a, b in spans])
                pieces.append(previous.vectors.reconstruct_batch(rows.astype(np.int64)))
                roles.append(previous.role[rows])
                counts.extend(b - a for a, b in spans)
                report_lists["unchanged"].append(document.id)
            else:
                doc_passages = chunk_document(document)
                doc_contexts = _contexts(doc_passages)
                per_passage = [
                    _views(p, c) for p, c in zip(doc_passages, doc_contexts, strict=True)
                ]
                views = [v for group in per_passage for v in group]
                to_embed.append((len(pieces), views))
                pieces.append(np.zeros((0, dimension), dtype=np.float32))
                roles.append(np.array([r for r, _ in views], dtype=np.int16))
                counts.extend(len(group) for group in per_passage)
                report_lists["changed" if prior else "added"].append(document.id)
            passages.extend(doc_passages)
            contexts.extend(doc_contexts)
            entries.append(
                DocumentEntry(
                    source=document.source, checksum=document.checksum, passages=len(doc_passages)
                )
            )

        total = sum(len(views) for _, views in to_embed)
        if progress is not None:
            progress.start(total)
        for slot, views in to_embed:
            pieces[slot] = embedder.embed(
                [text for _, text in views], progress.advance if progress else None
            )

        owner = np.repeat(np.arange(len(passages), dtype=np.int32), counts)
        contents = IndexContents(
            documents=entries,
            skipped=skipped,
            passages=passages,
            contexts=contexts,
            vectors=np.ascontiguousarray(np.vstack(pieces), dtype=np.float32),
            owner=owner,
            role=np.concatenate(roles),
            model=embedder.name,
            chunker=CHUNKER_VERSION,
            build_seconds=time.perf_counter() - started,
        )
        manifest = publish(index_dir, contents)
    current = {d.id for d in documents}
    return BuildReport(
        manifest=manifest,
        removed=sorted(set(old) - current),
        **report_lists,
    )
