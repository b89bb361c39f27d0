"""Whether an index version's files are the ones its build wrote.

A build records each file's SHA-256 in the manifest. Hashing a large index on
every start is slow (about 1 GB/s here: 12 s for a million passages), so once a
version has been checked (or just written) a small record of each file's size and
modification time is kept beside it, and later loads hash only when a file no
longer matches that record. Any write to a file changes its modification time,
so a damaged or replaced file is still hashed and caught.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

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


def read_record(path: Path) -> dict[str, Any]:
    """A JSON object written by `write_record`, or {} when it is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_record(path: Path, data: dict[str, Any]) -> None:
    """Replace `path` with `data` as JSON, atomically; best effort, since a read-only
    folder only means the work it would save is done again next time."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}")
    try:
        temporary.write_text(json.dumps(data), encoding="utf-8")
        temporary.replace(path)
    except OSError:
        # On a read-only filesystem the clean-up fails too: that is no error either.
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def record_verified(folder: Path, names: list[str]) -> None:
    """Remember that these files match the manifest as they stand now."""
    stats = _stats(folder, names)
    if stats is not None:
        write_record(folder / RECORD, stats)


def verify(folder: Path, files: dict[str, str], hint: str, *, full: bool = False) -> None:
    """Raise `IndexCorruptError` unless every file matches its recorded hash.

    The fast path trusts files whose size and modification time match the record
    of the last check; `full` hashes every file regardless (a server's start-up,
    `stpbot index --verify`), which catches an edit that kept both.
    """
    names = sorted(files)
    # Taken before hashing: a file written meanwhile must not be recorded as checked.
    current = _stats(folder, names)
    if not full and current is not None and current == read_record(folder / RECORD):
        return
    for name in names:
        path = folder / name
        if not path.is_file() or sha256(path) != files[name]:
            raise IndexCorruptError(f"index file {name} is damaged or missing; {hint}")
    if current is not None:
        write_record(folder / RECORD, current)
