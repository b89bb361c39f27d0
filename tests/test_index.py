"""The index on disk: manifest, atomic versions, integrity checks, incremental builds."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from stpbot.errors import IndexCorruptError, IndexMismatchError, IndexMissingError, StpbotError
from stpbot.index.build import build_index, is_stale
from stpbot.index.store import FORMAT_VERSION, current_version, load_index, read_manifest


def test_manifest_records_model_counts_and_checksums(built):
    knowledge, index = built
    manifest = read_manifest(index)
    assert manifest.model == "all-MiniLM-L6-v2"
    assert manifest.dimension == 384
    assert len(manifest.documents) == 5
    assert manifest.passage_count == sum(d.passages for d in manifest.documents) > 50
    assert all(len(d.checksum) == 64 for d in manifest.documents)
    assert {"vectors.faiss", "passages.jsonl", "vector_owner.npy"} <= set(manifest.files)
    assert manifest.built_at
    assert not is_stale(index, knowledge, "all-MiniLM-L6-v2", "onnx-int8")


def test_unchanged_rebuild_publishes_nothing_and_loads_no_model(workspace):
    from stpbot.embedding import open_embedder
    from tests.support import MODEL_CACHE

    knowledge, index = workspace
    before = current_version(index)
    fresh = open_embedder(cache_dir=MODEL_CACHE)
    report = build_index(knowledge, index, fresh)
    assert len(report.unchanged) == 5 and not report.published
    assert report.added == report.changed == report.removed == []
    assert "nothing changed" in report.summary()
    assert current_version(index) == before
    assert not fresh.loaded  # the model was never loaded


def test_full_rebuild_publishes_a_new_version_and_keeps_the_old(workspace, embedder):
    knowledge, index = workspace
    before = current_version(index)
    report = build_index(knowledge, index, embedder, full=True)
    assert report.published and len(report.added) == 5
    assert current_version(index) != before
    assert before.is_dir()  # the previous version is kept for rollback


def test_changed_added_removed_documents_are_reported(workspace, embedder):
    knowledge, index = workspace
    (knowledge / "all-stps-to-be-published-soon.md").unlink()
    path = knowledge / "ten-reflections-publishing-stps.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nA new closing line was added.\n")
    (knowledge / "extra.md").write_text("# Extra\n\nPharmacists asked to join the STP board.\n")
    assert is_stale(index, knowledge, embedder.name, embedder.backend)
    report = build_index(knowledge, index, embedder)
    assert report.added == ["extra"]
    assert report.changed == ["ten-reflections-publishing-stps"]
    assert report.removed == ["all-stps-to-be-published-soon"]
    assert len(report.unchanged) == 3
    loaded = load_index(index, embedder.name, embedder.backend, embedder.dimension)
    assert any("Pharmacists" in p.text for p in loaded.passages)
    assert not any(p.doc_id == "all-stps-to-be-published-soon" for p in loaded.passages)


def test_damaged_file_is_a_clear_error(workspace):
    _, index = workspace
    folder = current_version(index)
    faiss_file = folder / "vectors.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:100])  # truncated
    with pytest.raises(IndexCorruptError, match=r"vectors\.faiss is damaged.*stpbot index"):
        load_index(index, "all-MiniLM-L6-v2", "onnx-int8")


def test_unreadable_manifest_is_a_clear_error(workspace):
    _, index = workspace
    (current_version(index) / "manifest.json").write_text("{not json")
    with pytest.raises(IndexCorruptError, match="manifest"):
        load_index(index, "all-MiniLM-L6-v2", "onnx-int8")


def test_other_model_is_a_mismatch_telling_to_rebuild(built):
    _, index = built
    with pytest.raises(IndexMismatchError, match="rebuild"):
        load_index(index, "some-other-model", "onnx-int8")


def test_other_backend_is_a_mismatch_telling_to_rebuild(built):
    _, index = built
    with pytest.raises(IndexMismatchError, match=r"on onnx-int8 .*not all-MiniLM-L6-v2 on torch"):
        load_index(index, "all-MiniLM-L6-v2", "torch")


def test_small_index_is_exact_and_says_so(built):
    _, index = built
    manifest = read_manifest(index)
    assert manifest.index_type == "flat" and manifest.backend == "onnx-int8"
    assert manifest.vector_search.recall_at_10 == 1.0


def test_missing_index(tmp_path):
    assert is_stale(tmp_path / "nothing", tmp_path, "all-MiniLM-L6-v2", "onnx-int8")
    with pytest.raises(IndexMissingError, match="stpbot index"):
        load_index(tmp_path / "nothing", "all-MiniLM-L6-v2", "onnx-int8")


def test_empty_knowledge_folder_keeps_the_previous_index(workspace, embedder, tmp_path):
    _, index = workspace
    before = current_version(index)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(StpbotError, match="no documents to index"):
        build_index(empty, index, embedder)
    assert current_version(index) == before
    load_index(index, embedder.name, embedder.backend)


def test_no_pickle_in_the_index(built):
    _, index = built
    folder = current_version(index)
    for path in folder.rglob("*.npy"):
        np.load(path, allow_pickle=False)  # raises on object (pickled) arrays
    # The manifest is plain JSON a person can read.
    assert json.loads((folder / "manifest.json").read_text())["format_version"] == FORMAT_VERSION


def test_a_same_size_change_to_a_verified_file_is_still_caught(workspace):
    _, index = workspace
    load_index(index, "all-MiniLM-L6-v2", "onnx-int8")  # verified, and the check recorded
    target = current_version(index) / "vector_role.npy"
    data = bytearray(target.read_bytes())
    data[-1] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match=r"vector_role\.npy is damaged"):
        load_index(index, "all-MiniLM-L6-v2", "onnx-int8")


def test_a_touched_but_intact_file_is_hashed_once_then_trusted(workspace):
    _, index = workspace
    folder = current_version(index)
    record = folder / ".verified.json"
    assert record.is_file()  # written by the build, which had just hashed every file
    passages = folder / "passages.jsonl"
    os.utime(passages, ns=(1_000_000_000, 1_000_000_000))  # as a copy that drops times would
    assert json.loads(record.read_text())["passages.jsonl"][1] != 1_000_000_000
    load_index(index, "all-MiniLM-L6-v2", "onnx-int8")
    assert json.loads(record.read_text())["passages.jsonl"] == [passages.stat().st_size, 10**9]


def test_knowledge_checksums_are_reused_while_files_are_unchanged_and_edits_still_count(workspace):
    from stpbot.index.build import STATE_CACHE, knowledge_state

    knowledge, index = workspace
    for path in knowledge.rglob("*"):
        os.utime(path, ns=(10**18, 10**18))  # written long ago (2001)
    cache = index / STATE_CACHE
    first = knowledge_state(knowledge, cache)
    recorded = json.loads(cache.read_text())
    assert set(recorded["files"]) == set(first)  # the bundled files are old enough to record
    # A recorded checksum stands in for reading the file while its size and mtime hold.
    name = sorted(recorded["files"])[0]
    recorded["files"][name]["checksum"] = "0" * 64
    cache.write_text(json.dumps(recorded))
    assert knowledge_state(knowledge, cache)[name] == "0" * 64
    # Any write changes the mtime, so an edit of the same size is hashed and seen.
    path = knowledge / name
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("the", "THE", 1), encoding="utf-8")
    assert knowledge_state(knowledge, cache)[name] not in {"0" * 64, first[name]}
    assert is_stale(index, knowledge, "all-MiniLM-L6-v2", "onnx-int8")


def test_a_same_size_edit_with_its_time_restored_is_caught_at_start_up_and_by_verify(
    workspace, embedder, run_cli
):
    from stpbot.chat.live_engine import LiveEngine

    knowledge, index = workspace
    load_index(index, embedder.name, embedder.backend)  # checked once: the record is written
    target = current_version(index) / "passages.jsonl"
    stat = target.stat()
    data = target.read_bytes()
    target.write_bytes(data.replace(b"October", b"Octobex", 1))
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    # The fast path trusts size and time (documented): a plain load does not hash.
    load_index(index, embedder.name, embedder.backend)
    # A server's start-up, and `stpbot index --verify`, hash every file.
    with pytest.raises(IndexCorruptError, match=r"passages\.jsonl is damaged"):
        LiveEngine(knowledge_dir=knowledge, index_dir=index, embedder=embedder).open()
    checked = run_cli("index", "--verify", knowledge=knowledge, index=index)
    assert checked.returncode == 2
    assert "index file passages.jsonl is damaged or missing" in checked.stderr
    target.write_bytes(data)
    assert "files match their SHA-256" in run_cli("index", "--verify", index=index).stdout


def test_a_record_on_a_read_only_filesystem_is_skipped_without_an_error(tmp_path):
    # A container with a read-only root: the check is redone next start, nothing fails.
    import subprocess

    from stpbot.index.integrity import read_record, write_record

    folder = tmp_path / "ro"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro", "tmpfs", str(folder)], check=False, capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("mounting a read-only filesystem needs root here")
    try:
        write_record(folder / "verified.json", {"a": [1, 2]})
        assert read_record(folder / "verified.json") == {}
    finally:
        subprocess.run(["umount", str(folder)], check=False)
