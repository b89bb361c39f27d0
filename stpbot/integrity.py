"""Whether an index version's files are the ones its build wrote.

A build records each file's SHA-256 in the manifest. Hashing a large index on
every start is slow (about 1 GB/s here: 12 s for a million passages), so once a
version has been checked (or just written) a small record of each file's size and
modification time is kept beside it, and later loads hash only when a file no
longer matches that record. Any write to a file changes its modification time,
so a damaged or replaced file is still hashed and caught.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from stpbot.errors import IndexCorruptError

RECORD = ".verified.json"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under `folder`, by relative path."""
    return {
        path.relative_to(folder).as_posix(): sha256(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != RECORD
    }


def _stats(folder: Path, names: list[str]) -> dict[str, list[int]] | None:
    try:
        return {name: [(st := (folder / name).stat()).st_size, st.st_mtime_ns] for name in names}
    except OSError:
        return None


def record_verified(folder: Path, names: list[str]) -> None:
    """Remember that these files match the manifest as they stand now (best effort:
    a read-only index is simply hashed on every load)."""
    stats = _stats(folder, names)
    if stats is None:
        return
    temporary = folder / f"{RECORD}.{os.getpid()}"
    try:
        temporary.write_text(json.dumps(stats), encoding="utf-8")
        temporary.replace(folder / RECORD)
    except OSError:
        temporary.unlink(missing_ok=True)


def _recorded(folder: Path) -> dict[str, list[int]] | None:
    try:
        data = json.loads((folder / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def verify(folder: Path, files: dict[str, str], hint: str) -> None:
    """Raise `IndexCorruptError` unless every file matches its recorded hash."""
    names = sorted(files)
    current = _stats(folder, names)
    if current is not None and current == _recorded(folder):
        return
    for name in names:
        path = folder / name
        if not path.is_file() or sha256(path) != files[name]:
            raise IndexCorruptError(f"index file {name} is damaged or missing; {hint}")
    record_verified(folder, names)
