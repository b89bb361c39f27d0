"""Shared fixtures: one real index of the bundled briefings, built once per session.

Tests use the real bundled model offline; nothing is mocked.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
KNOWLEDGE = REPO / "knowledge"
EVAL_FILE = REPO.parent / "shared" / "eval" / "questions.jsonl"


@pytest.fixture(scope="session")
def embedder():
    from stpbot.embedding import Embedder

    return Embedder()


@pytest.fixture(scope="session")
def built(tmp_path_factory, embedder):
    """A copy of knowledge/ and an index built from it: (knowledge_dir, index_dir)."""
    from stpbot.indexer import build_index

    root = tmp_path_factory.mktemp("built")
    knowledge = root / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    index = root / "index"
    build_index(knowledge, index, embedder)
    return knowledge, index


@pytest.fixture(scope="session")
def engine(built, embedder):
    from stpbot.engine import Engine

    knowledge, index = built
    opened, _ = Engine.open(knowledge_dir=knowledge, index_dir=index, embedder=embedder)
    return opened


@pytest.fixture
def workspace(tmp_path, built):
    """A private, writable copy of the built knowledge and index folders."""
    knowledge, index = built
    shutil.copytree(knowledge, tmp_path / "knowledge")
    shutil.copytree(index, tmp_path / "index")
    return tmp_path / "knowledge", tmp_path / "index"


def stpbot_executable() -> str:
    """The installed `stpbot` console script next to this interpreter."""
    candidate = Path(sys.executable).parent / "stpbot"
    return str(candidate) if candidate.exists() else shutil.which("stpbot") or "stpbot"


@pytest.fixture
def run_cli():
    """Run the real `stpbot` entry point in a subprocess; returns CompletedProcess."""

    def run(*args, knowledge=None, index=None, stdin=None, cwd=None, env=None):
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("STPBOT_")}
        full_env["HF_HUB_OFFLINE"] = "1"
        if knowledge is not None:
            full_env["STPBOT_KNOWLEDGE_DIR"] = str(knowledge)
        if index is not None:
            full_env["STPBOT_INDEX_DIR"] = str(index)
        full_env.update(env or {})
        return subprocess.run(
            [stpbot_executable(), *args],
            input=stdin,
            check=False,
            capture_output=True,
            text=True,
            cwd=cwd,
            env=full_env,
            timeout=300,
        )

    return run
