"""Embedding backends: agreement with PyTorch, a torch-free answering process, a
one-off export that survives concurrent starts, and clear errors for bad caches."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys

import numpy as np
import pytest

from stpbot.embedding import open_embedder
from stpbot.errors import StpbotError
from tests.support import MODEL_CACHE

SENTENCES = [
    "why were patients absent from STP governance?",
    "Local authorities said they had been excluded from the footprint's decisions.",
    "The plans were drawn up behind closed doors, with little public engagement.",
    "hospital beds",
]


@pytest.mark.slow
@pytest.mark.parametrize(("backend", "floor"), [("onnx", 0.999), ("onnx-int8", 0.98)])
def test_onnx_backends_agree_with_pytorch(backend, floor):
    torch_vectors = open_embedder(backend="torch").embed(SENTENCES)
    vectors = open_embedder(backend=backend, cache_dir=MODEL_CACHE).embed(SENTENCES)
    assert vectors.shape == torch_vectors.shape == (4, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert float(np.min(np.sum(vectors * torch_vectors, axis=1))) >= floor


def test_the_export_records_how_close_it_is_to_pytorch(embedder):
    embedder.load()
    meta = json.loads(
        (MODEL_CACHE / "all-MiniLM-L6-v2" / "onnx-int8" / "embedder.json").read_text()
    )
    assert meta["dimension"] == 384 and meta["pooling"] == "mean"
    assert meta["max_seq_length"] == 256 and meta["agreement"] >= 0.98


def test_answering_with_the_default_backend_never_imports_pytorch(built):
    knowledge, index = built
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from stpbot.embedding import open_embedder\n"
        "from stpbot.engine import Engine\n"
        f"engine = Engine.open(knowledge_dir=Path({str(knowledge)!r}), "
        f"index_dir=Path({str(index)!r}), "
        f"embedder=open_embedder(cache_dir=Path({str(MODEL_CACHE)!r})))\n"
        "answer = engine.ask('why were patients absent from STP governance?')\n"
        "print(answer.answered, 'torch' in sys.modules, 'sentence_transformers' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.split() == ["True", "False", "False"]


def _first_vector(cache, queue):
    queue.put(open_embedder(cache_dir=cache).embed_query("hospital beds").tolist())


@pytest.mark.slow
def test_workers_starting_together_export_once_and_agree(tmp_path):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    starts = [context.Process(target=_first_vector, args=(tmp_path, queue)) for _ in range(2)]
    for process in starts:
        process.start()
    vectors = [queue.get(timeout=240) for _ in starts]
    for process in starts:
        process.join(30)
        assert process.exitcode == 0
    assert np.allclose(vectors[0], vectors[1])
    exports = [p for p in (tmp_path / "all-MiniLM-L6-v2").iterdir() if not p.name.startswith(".")]
    assert [p.name for p in exports] == ["onnx-int8"]


def test_a_damaged_export_is_a_clear_error_naming_the_folder(tmp_path):
    source = MODEL_CACHE / "all-MiniLM-L6-v2" / "onnx-int8"
    open_embedder(cache_dir=MODEL_CACHE).load()
    folder = tmp_path / "all-MiniLM-L6-v2" / "onnx-int8"
    folder.mkdir(parents=True)
    for path in source.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    graph = folder / "model-int8.onnx"
    graph.write_bytes(graph.read_bytes()[:1000])
    with pytest.raises(StpbotError, match=r"cannot load the ONNX model in .*delete that folder"):
        open_embedder(cache_dir=tmp_path).load()


def test_an_unknown_backend_is_a_one_line_error(run_cli, built):
    knowledge, index = built
    result = run_cli(
        "ask",
        "hospital beds",
        knowledge=knowledge,
        index=index,
        env={"STPBOT_EMBEDDING_BACKEND": "tensorflow"},
    )
    assert result.returncode == 2
    assert "STPBOT_EMBEDDING_BACKEND" in result.stderr or "embedding_backend" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_a_first_export_is_announced_on_a_terminal(built, tmp_path):
    import os

    from tests.support import cli_environment, stpbot_executable

    knowledge, index = built
    primary, secondary = os.openpty()
    env = cli_environment(
        STPBOT_KNOWLEDGE_DIR=str(knowledge),
        STPBOT_INDEX_DIR=str(index),
        STPBOT_MODEL_CACHE=str(tmp_path / "fresh-cache"),
    )
    process = subprocess.Popen(
        [stpbot_executable(), "ask", "hospital beds", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=secondary,
        text=True,
    )
    os.close(secondary)
    seen = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # the terminal closed: the process is done with it
            break
        if not chunk:
            break
        seen += chunk
    out, _ = process.communicate(timeout=240)
    os.close(primary)
    assert process.returncode == 0 and json.loads(out)["question"] == "hospital beds"
    assert b"Exporting the embedding model to ONNX, once" in seen


def test_onnx_runtime_does_not_phone_home_or_leave_a_device_id(run_cli_process, built, tmp_path):
    # NHS information governance: the bot itself turns ONNX Runtime's telemetry off,
    # whatever the environment it was started from says.
    knowledge, index = built
    home = tmp_path / "home"
    home.mkdir()
    result = run_cli_process(
        "ask",
        "When were STPs submitted?",
        knowledge=knowledge,
        index=index,
        env={"HOME": str(home), "ORT_DISABLE_TELEMETRY": "0"},
    )
    assert result.returncode == 0, result.stderr
    assert not (home / ".cache" / "Microsoft").exists()


def test_the_model_knows_common_words_and_not_rare_surnames(embedder):
    # The rare-name rule forgives a lower-case name only for words the model splits.
    assert embedder.knows_word("council") and embedder.knows_word("Council")
    assert not embedder.knows_word("Briddock")
    assert not embedder.knows_word("hfma")
