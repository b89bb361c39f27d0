"""An index version's passages, one JSON line each, read back by row when needed.

Parsing every line at start-up took about 2 s per 100,000 passages, and a question
needs a few dozen. So the file is memory-mapped, and a row is parsed when it is
first asked for. Where each line starts is written beside it at build time
(`passages.starts.npy`); a scan for newlines took 0.6 s at a million passages, and
is still how an index built before that file is read.
"""

from __future__ import annotations

import mmap
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, overload

from pydantic import BaseModel, ValidationError

from stpbot.chunk.chunking import Passage
from stpbot.errors import IndexCorruptError

if TYPE_CHECKING:
    import numpy as np

T = TypeVar("T")
# Newlines are found this many bytes at a time, so the scan needs little memory.
_SCAN = 1 << 26


class StoredPassage(BaseModel):
    """One line of passages.jsonl: a passage and the text that precedes it."""

    passage: Passage
    context: str


def starts_file(path: Path) -> Path:
    """Where the line starts of `path` (passages.jsonl) are kept."""
    return path.with_name(path.name.removesuffix(".jsonl") + ".starts.npy")


def write_passages(path: Path, passages: Sequence[Passage], contexts: Sequence[str]) -> None:
    """Write the rows, and where each starts."""
    import numpy as np

    starts = [0]
    with path.open("wb") as fh:
        for passage, context in zip(passages, contexts, strict=True):
            line = StoredPassage(passage=passage, context=context).model_dump_json() + "\n"
            starts.append(starts[-1] + fh.write(line.encode("utf-8")))
    np.save(starts_file(path), np.array(starts, dtype=np.int64), allow_pickle=False)


def _line_starts(data: mmap.mmap | bytes) -> np.ndarray:
    import numpy as np

    size = len(data)
    ends = [
        start + np.flatnonzero(np.frombuffer(data, np.uint8, min(_SCAN, size - start), start) == 10)
        for start in range(0, size, _SCAN)
    ]
    found = np.concatenate([np.zeros(0, dtype=np.int64), *ends])
    return np.concatenate([[0], found + 1]).astype(np.int64)


def _stored_starts(path: Path, size: int) -> np.ndarray | None:
    """The line starts written at build time, if there and fitting a file of `size` bytes."""
    import numpy as np

    try:
        starts: np.ndarray = np.load(starts_file(path), allow_pickle=False)
    except FileNotFoundError:
        return None
    except ValueError as exc:
        raise IndexCorruptError(
            f"{starts_file(path)} is unreadable ({exc}); run `stpbot index --full`"
        ) from exc
    if starts.ndim != 1 or not starts.size or starts[0] != 0 or starts[-1] != size:
        raise IndexCorruptError(
            f"{starts_file(path)} does not fit {path.name}; run `stpbot index --full`"
        )
    return starts


class PassageStore:
    """Rows of passages.jsonl, parsed on first use (and kept, up to a few thousand)."""

    def __init__(self, path: Path) -> None:
        with path.open("rb") as fh:
            size = fh.seek(0, 2)
            self._data: mmap.mmap | bytes = (
                mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
            )
        stored = _stored_starts(path, len(self._data))
        self._starts = stored if stored is not None else _line_starts(self._data)
        self.path = path
        self._record = lru_cache(maxsize=8192)(self._parse)

    def __len__(self) -> int:
        return len(self._starts) - 1

    def _parse(self, row: int) -> StoredPassage:
        if not 0 <= row < len(self):
            raise IndexError(row)
        line = self._data[self._starts[row] : self._starts[row + 1]]
        try:
            return StoredPassage.model_validate_json(line)
        except ValidationError as exc:
            raise IndexCorruptError(
                f"passage {row} in {self.path} is unreadable; run `stpbot index --full`"
            ) from exc

    def record(self, row: int) -> StoredPassage:
        return self._record(row)

    @property
    def passages(self) -> Sequence[Passage]:
        return _Column(self, lambda r: r.passage)

    @property
    def contexts(self) -> Sequence[str]:
        return _Column(self, lambda r: r.context)


class _Column(Sequence[T]):
    """One field of every stored row, as a read-only sequence."""

    def __init__(self, store: PassageStore, field: Callable[[StoredPassage], T]) -> None:
        self._store = store
        self._field = field

    def __len__(self) -> int:
        return len(self._store)

    @overload
    def __getitem__(self, row: int) -> T: ...
    @overload
    def __getitem__(self, row: slice) -> Sequence[T]: ...
    def __getitem__(self, row: int | slice) -> T | Sequence[T]:
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        if row < 0:
            row += len(self)
        return self._field(self._store.record(row))

    def __iter__(self) -> Iterator[T]:
        return (self[i] for i in range(len(self)))
