"""Build the index from a knowledge folder: ingest, chunk, embed, publish.

Unchanged documents (same checksum, model and chunker) keep their vectors from the
live index, so a rebuild only embeds what changed.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, ValidationError

from stpbot.chunk.chunking import CHUNKER_VERSION, Passage, chunk_document
from stpbot.defaults import DEFAULT_TOKEN_PASSAGES
from stpbot.errors import DocumentError, IndexMissingError, StpbotError
from stpbot.glossary import GLOSSARY_FILE
from stpbot.index.embedding_views import ViewPlan, caption, preceding
from stpbot.index.integrity import read_record, write_record
from stpbot.index.store import (
    FORMAT_VERSION,
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
from stpbot.index.tokens import Captions, TokenStore
from stpbot.ingest import (
    BAD_NAME,
    OUTSIDE,
    Candidate,
    Limits,
    candidates,
    checksum,
    stamp,
    supported,
)

if TYPE_CHECKING:
    import numpy as np

    from stpbot.documents import Document
    from stpbot.embedding import Embedder
    from stpbot.embedding.base import Tokens


# Checksums of the knowledge files by size and mtime, kept beside the index.
STATE_CACHE = ".knowledge-state.json"
# Files modified this recently are hashed every time (their mtime may not yet tell
# a second write from the first).
RACY_NS = 3_000_000_000


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
    published: bool = True  # False when nothing changed and the live index stands

    @property
    def skipped(self) -> list[SkippedFile]:
        return self.manifest.skipped

    def summary(self) -> str:
        m = self.manifest
        if not self.published:
            return (
                f"index up to date: {len(m.documents)} documents, {m.passage_count} passages; "
                f"nothing changed" + (f"; {len(m.skipped)} skipped" if m.skipped else "")
            )
        parts = [
            f"indexed {len(m.documents)} documents, {m.passage_count} passages "
            f"in {m.build_seconds:.1f}s",
            f"{len(self.added)} added, {len(self.changed)} changed, "
            f"{len(self.removed)} removed, {len(self.unchanged)} unchanged",
        ]
        if m.skipped:
            parts.append(f"{len(m.skipped)} skipped")
        return "; ".join(parts)


def _stat_key(found: Candidate) -> list[int]:
    """Size and mtime of a file and of its sidecar: what changes when either is written."""
    # Plain strings, as `candidates` gives them: no Path made per file.
    key = [(st := os.stat(found.path)).st_size, st.st_mtime_ns]  # noqa: PTH116
    if found.sidecar is not None:
        key += [(ms := os.stat(found.sidecar)).st_size, ms.st_mtime_ns]  # noqa: PTH116
    return key


class _FileStamp(BaseModel):
    """A file's size and mtime (and its sidecar's), and the checksum read at that stamp."""

    stat: list[int]
    checksum: str


class _KnownChecksums(BaseModel):
    """The knowledge-state cache: checksums a cold start need not read again."""

    files: dict[str, _FileStamp] = {}

    @classmethod
    def read(cls, path: Path) -> _KnownChecksums:
        try:
            return cls.model_validate(read_record(path))
        except ValidationError:
            return cls()  # an older or damaged cache: every file is read again, once


def knowledge_state(knowledge_dir: Path, cache: Path | None = None) -> dict[str, str]:
    """Checksum of every candidate file (with its sidecar) under the knowledge folder.

    With `cache`, a file whose size and mtime (and its sidecar's) match the last
    call's keeps the checksum recorded then rather than being read again: a
    cold `stpbot ask` over 31,000 files spent seconds hashing them. Files written
    in the last few seconds are not recorded, so a second write within the
    clock's resolution is never missed.
    """
    known = _KnownChecksums.read(cache) if cache is not None else _KnownChecksums()
    state: dict[str, str] = {}
    record = _KnownChecksums()
    recent = time.time_ns() - RACY_NS
    for found in candidates(knowledge_dir):
        rel = found.rel
        key = _stat_key(found)
        entry = known.files.get(rel)
        if (unread := stamp(found, key[0], key[1])) is not None:  # the file's own stat
            state[rel] = unread
        elif entry and entry.stat == key:
            state[rel] = entry.checksum
        else:
            state[rel] = checksum(Path(found.path))
        if max(key[1::2]) < recent:
            record.files[rel] = _FileStamp(stat=key, checksum=state[rel])
    if cache is not None and record != known:
        write_record(cache, record.model_dump())
    return state


def glossary_digest(knowledge_dir: Path) -> str | None:
    """sha256 of the folder's glossary (retrieval reads it), or None when it has none."""
    path = knowledge_dir / GLOSSARY_FILE
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def _built_state(manifest: Manifest) -> dict[str, str]:
    built = {d.source.path: d.checksum for d in manifest.documents}
    built.update({s.path: s.checksum for s in manifest.skipped})
    return built


def is_stale(index_dir: Path, knowledge_dir: Path, model: str, backend: str) -> bool:
    """True when the live index misses, or was built from other files or settings."""
    try:
        manifest = read_manifest(index_dir)
    except IndexMissingError:
        return True
    return (
        manifest.format_version != FORMAT_VERSION
        or manifest.model != model
        or manifest.backend != backend
        or manifest.chunker != CHUNKER_VERSION
        or manifest.glossary != glossary_digest(knowledge_dir)
        or _built_state(manifest) != knowledge_state(knowledge_dir, index_dir / STATE_CACHE)
    )


def ensure_built(
    knowledge_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    progress: BuildProgress | None = None,
    *,
    limits: Limits | None = None,
    token_passages: int = DEFAULT_TOKEN_PASSAGES,
) -> BuildReport | None:
    """Build the index if it is missing or stale; the build's report, or None if current."""
    if not is_stale(index_dir, knowledge_dir, embedder.name, embedder.backend):
        return None
    return build_index(
        knowledge_dir, index_dir, embedder, progress, limits=limits, token_passages=token_passages
    )


def _reusable(index_dir: Path, model: str, backend: str) -> LoadedIndex | None:
    try:
        previous = load_index(index_dir, model, backend)
    except StpbotError:
        return None
    return previous if previous.manifest.chunker == CHUNKER_VERSION else None


def _load_changed(
    knowledge_dir: Path, state: dict[str, str], previous: Manifest | None, limits: Limits
) -> tuple[dict[str, tuple[Document, list[Passage]]], dict[str, SkippedFile]]:
    """Parse and chunk, at arm's length, only the files that are new or changed since
    `previous`; a file skipped before with the same checksum keeps its reason unparsed.

    Chunking there puts sentence splitting (a seventh of a build) on every core, and
    under the time and memory limits that guard parsing.
    """
    from stpbot.ingest.isolation import load_isolated

    known = _built_state(previous) if previous else {}
    old_skips = {s.path: s for s in previous.skipped} if previous else {}
    parsed: dict[str, tuple[Document, list[Passage]]] = {}
    skipped: dict[str, SkippedFile] = {}
    to_parse: list[Path] = []
    for rel, digest in state.items():
        path = knowledge_dir / rel
        if rel in old_skips and old_skips[rel].checksum == digest:
            skipped[rel] = old_skips[rel]
        elif digest.startswith(BAD_NAME):
            reason = "the file name is not UTF-8 text; rename it"
            skipped[rel] = SkippedFile(path=rel, checksum=digest, reason=reason)
        elif digest.startswith(OUTSIDE):
            reason = "a link to a file outside the knowledge folder; copy the file in instead"
            skipped[rel] = SkippedFile(path=rel, checksum=digest, reason=reason)
        elif not supported(path):
            reason = f"unsupported file type {path.suffix or '(none)'}"
            skipped[rel] = SkippedFile(path=rel, checksum=digest, reason=reason)
        elif known.get(rel) != digest:
            to_parse.append(path)
    for path, result in load_isolated(to_parse, knowledge_dir, chunk_document, limits):
        rel = path.relative_to(knowledge_dir).as_posix()
        if isinstance(result, DocumentError):
            skipped[rel] = SkippedFile(path=rel, checksum=state[rel], reason=str(result))
        else:
            parsed[rel] = result
    return parsed, skipped


@dataclass
class _Assembly:
    """The next index, document by document: vectors kept from the live index, and the
    views of new or changed documents still to embed."""

    plan: ViewPlan
    passages: list[Passage] = field(default_factory=list)
    contexts: list[str] = field(default_factory=list)
    entries: list[DocumentEntry] = field(default_factory=list)
    pieces: list[np.ndarray] = field(default_factory=list)  # vectors, per document
    roles: list[np.ndarray] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)  # vectors per passage
    tokens: list[list[Tokens]] = field(default_factory=list)  # per document, per passage
    captions: list[str] = field(default_factory=list)  # per passage
    caption_tokens: dict[str, Tokens] = field(default_factory=dict)
    to_embed: list[tuple[int, int]] = field(default_factory=list)  # slot in pieces, in plan
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def keep(self, previous: LoadedIndex, entry: DocumentEntry, rows: range) -> None:
        """An unchanged document: its passages and vectors as the live index has them."""
        import numpy as np

        spans = [previous.vector_range(i) for i in rows]
        picked = np.concatenate([np.arange(a, b) for a, b in spans])
        self.pieces.append(np.asarray(previous.matrix[picked]))
        self.roles.append(previous.role[picked])
        self.counts.extend(b - a for a, b in spans)
        store = previous.tokens
        self.tokens.append([store.passage(i) for i in rows] if store is not None else [])
        for i in rows:
            text = caption(entry.source, previous.passages[i].heading)
            self.captions.append(text)
            if store is not None and store.captions is not None:
                kept = store.captions
                self.caption_tokens.setdefault(text, kept.store.passage(int(kept.of[i])))
        self.passages.extend(previous.passages[i] for i in rows)
        self.contexts.extend(previous.contexts[i] for i in rows)
        self.entries.append(entry)
        self.unchanged.append(entry.source.id)

    def add(self, document: Document, passages: list[Passage], *, replaces: bool) -> None:
        """A new or changed document: its views join the plan of texts to embed."""
        import numpy as np

        captions = [caption(document.source, p.heading) for p in passages]
        planned = self.plan.add(passages, captions)
        self.captions.extend(captions)
        self.to_embed.append((len(self.pieces), planned))
        self.pieces.append(np.zeros((0, 0), dtype=np.float32))
        self.tokens.append([])
        self.roles.append(self.plan.roles(planned))
        self.counts.extend(self.plan.counts(planned))
        self.passages.extend(passages)
        self.contexts.extend(preceding(passages))
        self.entries.append(
            DocumentEntry(
                source=document.source,
                checksum=document.checksum,
                passages=len(passages),
                pages=document.pages,
            )
        )
        (self.changed if replaces else self.added).append(document.id)

    def embed(self, embedder: Embedder, progress: BuildProgress | None) -> None:
        """Embed every planned text in one call, so batches group texts of like length
        across documents (the backends sort by length; padding is wasted work)."""
        if progress is not None:
            progress.start(len(self.plan.texts))
        embedded = self.plan.embed(embedder, progress.advance if progress else None)
        for slot, planned in self.to_embed:
            self.pieces[slot] = embedded[planned]
            if self.plan.tokens:
                self.tokens[slot] = self.plan.passage_tokens(planned)
                for text, states in self.plan.caption_tokens(planned):
                    self.caption_tokens.setdefault(text, states)

    def token_store(self, dimension: int) -> TokenStore | None:
        """The passages' tokens as one store, or None when they are not kept."""
        import numpy as np

        if not self.plan.tokens:
            return None
        tokens = [t for document in self.tokens for t in document]
        distinct = list(dict.fromkeys(self.captions))
        row = {text: i for i, text in enumerate(distinct)}
        captions = Captions(
            TokenStore.of(
                [self.caption_tokens[t] for t in distinct], [False] * len(row), dimension
            ),
            np.array([row[t] for t in self.captions], dtype=np.int32),
        )
        return TokenStore.of(tokens, [bool(c) for c in self.contexts], dimension, captions)

    def vectors(self, dimension: int) -> np.ndarray:
        import numpy as np

        stacked = np.vstack([p.reshape(-1, dimension) for p in self.pieces])
        return np.ascontiguousarray(stacked, dtype=np.float32)

    def owner(self) -> np.ndarray:
        import numpy as np

        return np.repeat(np.arange(len(self.passages), dtype=np.int32), self.counts)


def _assemble(
    state: dict[str, str],
    parsed: dict[str, tuple[Document, list[Passage]]],
    skipped: dict[str, SkippedFile],
    previous: LoadedIndex | None,
    plan: ViewPlan,
) -> _Assembly:
    """Each document of the knowledge folder, in order, parsed anew or kept as it was;
    a second file claiming a document id is skipped (added to `skipped`)."""
    old = {d.source.path: d for d in previous.manifest.documents} if previous else {}
    old_rows = previous.document_rows() if previous else {}
    assembly = _Assembly(plan)
    seen: dict[str, str] = {}
    for rel, digest in state.items():
        if rel in skipped:
            continue
        document, passages = parsed.get(rel, (None, []))  # None: the live index holds it
        prior = old.get(rel)
        doc_id = document.id if document is not None else prior.source.id if prior else None
        if doc_id is None:
            continue
        if doc_id in seen:
            reason = f"document id {doc_id} is already used by {seen[doc_id]}"
            skipped[rel] = SkippedFile(path=rel, checksum=digest, reason=reason)
            continue
        seen[doc_id] = rel
        if document is not None:
            assembly.add(document, passages, replaces=prior is not None)
        elif prior is not None and previous is not None:
            assembly.keep(previous, prior, old_rows.get(doc_id, range(0)))
    return assembly


def _keeps_tokens(embedder: Embedder, passages: int, limit: int) -> bool:
    """Whether an index of `passages` passages keeps token states for late interaction."""
    return embedder.offers_tokens and passages <= limit


def build_index(
    knowledge_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    progress: BuildProgress | None = None,
    full: bool = False,
    limits: Limits | None = None,
    token_passages: int = DEFAULT_TOKEN_PASSAGES,
) -> BuildReport:
    """Index every document under `knowledge_dir` and publish the result atomically.

    Only new or changed files are parsed and embedded; when nothing changed the live
    index stands as it is and the model is never loaded. Token states for late
    interaction are kept when the index holds at most `token_passages` passages.
    """
    import numpy as np

    started = time.perf_counter()
    if not knowledge_dir.is_dir():
        raise StpbotError(f"knowledge folder {knowledge_dir} does not exist")
    with build_lock(index_dir):
        state = knowledge_state(knowledge_dir, index_dir / STATE_CACHE)
        previous = None if full else _reusable(index_dir, embedder.name, embedder.backend)
        glossary = glossary_digest(knowledge_dir)
        if (
            previous is not None
            and _built_state(previous.manifest) == state
            and previous.manifest.glossary == glossary
            and _keeps_tokens(embedder, previous.manifest.passage_count, token_passages)
            == (previous.manifest.token_count is not None)
        ):
            unchanged = [d.source.id for d in previous.manifest.documents]
            return BuildReport(manifest=previous.manifest, unchanged=unchanged, published=False)
        parsed, skipped = _load_changed(
            knowledge_dir, state, previous.manifest if previous else None, limits or Limits()
        )
        assembly = _assemble(state, parsed, skipped, previous, ViewPlan(embedder.mean_pooled))
        keep_tokens = _keeps_tokens(embedder, len(assembly.passages), token_passages)
        if keep_tokens and previous is not None and previous.tokens is None and assembly.unchanged:
            # The live index kept no tokens (it was larger): its documents are embedded anew.
            parsed, skipped = _load_changed(knowledge_dir, state, None, limits or Limits())
            assembly = _assemble(state, parsed, skipped, None, ViewPlan(embedder.mean_pooled))
        assembly.plan.tokens = keep_tokens
        if not assembly.entries:
            reasons = "; ".join(f"{s.path}: {s.reason}" for s in list(skipped.values())[:3])
            raise StpbotError(
                f"no documents to index in {knowledge_dir}" + (f" ({reasons})" if reasons else "")
            )
        assembly.embed(embedder, progress)
        reused = previous is not None and not assembly.to_embed
        dimension = previous.manifest.dimension if reused and previous else embedder.dimension
        manifest = publish(
            index_dir,
            IndexContents(
                documents=assembly.entries,
                skipped=sorted(skipped.values(), key=lambda s: s.path),
                passages=assembly.passages,
                contexts=assembly.contexts,
                vectors=assembly.vectors(dimension),
                owner=assembly.owner(),
                role=np.concatenate(assembly.roles),
                tokens=assembly.token_store(dimension),
                model=embedder.name,
                backend=embedder.backend,
                chunker=CHUNKER_VERSION,
                build_seconds=time.perf_counter() - started,
                glossary=glossary,
            ),
        )
    before = {d.source.id for d in previous.manifest.documents} if previous else set()
    return BuildReport(
        manifest=manifest,
        added=assembly.added,
        changed=assembly.changed,
        removed=sorted(before - {e.source.id for e in assembly.entries}),
        unchanged=assembly.unchanged,
    )
