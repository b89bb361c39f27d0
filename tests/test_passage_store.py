"""Passages are read back from disk by row, and a damaged row is a clear error."""

from __future__ import annotations

import pytest

from stpbot.chunk.chunking import Passage
from stpbot.errors import IndexCorruptError
from stpbot.index.passages import PassageStore, starts_file, write_passages
from tests.support import make_passage


def passage(number: int) -> Passage:
    text = f"Passage number {number} says “something” — over two lines?\nYes."
    return make_passage(text, number=number)


def test_rows_come_back_as_written_in_any_order(tmp_path):
    path = tmp_path / "passages.jsonl"
    passages = [passage(i) for i in range(1, 301)]
    contexts = ["", *(p.text for p in passages[:-1])]
    write_passages(path, passages, contexts)
    store = PassageStore(path)
    assert len(store) == len(store.passages) == 300
    assert store.passages[250] == passages[250] and store.contexts[250] == passages[249].text
    assert store.passages[-1] == passages[-1]
    assert store.passages[3:6] == passages[3:6]
    assert list(store.contexts) == contexts
    with pytest.raises(IndexError):
        store.passages[300]


def test_an_empty_store_has_no_rows(tmp_path):
    path = tmp_path / "passages.jsonl"
    write_passages(path, [], [])
    assert len(PassageStore(path)) == 0 and list(PassageStore(path).passages) == []


@pytest.mark.parametrize("starts", ["stored", "scanned"])
def test_rows_are_found_from_stored_starts_or_by_a_scan(tmp_path, starts):
    path = tmp_path / "passages.jsonl"
    passages = [passage(i) for i in range(1, 40)]
    write_passages(path, passages, [p.text for p in passages])
    if starts == "scanned":  # as an index built before the starts were stored
        starts_file(path).unlink()
    store = PassageStore(path)
    assert len(store) == 39 and list(store.passages) == passages


def test_starts_that_do_not_fit_the_passages_are_an_index_error(tmp_path):
    path = tmp_path / "passages.jsonl"
    write_passages(path, [passage(1), passage(2)], ["", ""])
    with path.open("a", encoding="utf-8") as fh:
        fh.write("\n")
    with pytest.raises(IndexCorruptError, match=r"passages.starts.npy does not fit.*--full"):
        PassageStore(path)
    starts_file(path).write_bytes(b"not numpy")
    with pytest.raises(IndexCorruptError, match=r"passages.starts.npy is unreadable.*--full"):
        PassageStore(path)


def test_a_damaged_row_is_an_index_error_naming_the_fix(tmp_path):
    path = tmp_path / "passages.jsonl"
    write_passages(path, [passage(1), passage(2)], ["", ""])
    starts_file(path).unlink()
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(lines[0] + "{not json\n", encoding="utf-8")
    store = PassageStore(path)
    assert store.passages[0] == passage(1)
    with pytest.raises(IndexCorruptError, match=r"passage 1 in .*unreadable.*stpbot index --full"):
        store.passages[1]
