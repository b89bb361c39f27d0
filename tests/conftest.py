"""Shared fixtures: one real index of the bundled briefings, built once per session.

Tests use the real bundled model offline; nothing is mocked.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

import tests.support
from tests.fakes.slack import FakeSlack
from tests.support import KNOWLEDGE, MODEL_CACHE, SHARED_EVAL, cli_environment, stpbot_executable
from tests.support.slack import serve_slack

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("STPBOT_MODEL_CACHE", str(MODEL_CACHE))


@pytest.fixture(scope="session", autouse=True)
def _scratch_state(tmp_path_factory):
    """`stpbot` subprocesses write their SQLite files here, never into the working copy."""
    tests.support.STATE = tmp_path_factory.mktemp("state")


@pytest.fixture(scope="session")
def shared_eval():
    """The folder of the shared labelled question sets: required in CI, else a skip."""
    if not (SHARED_EVAL / "questions.jsonl").is_file():
        if os.environ.get("CI"):
            pytest.fail(f"the shared question sets are missing from {SHARED_EVAL}")
        pytest.skip(f"the shared question sets are not at {SHARED_EVAL}")
    return SHARED_EVAL


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server on loopback for the session: required in CI, else a skip."""
    from tests.support.postgres import PostgresServer, binaries

    found = binaries()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed (.ci/run installs Debian's postgresql)")
        pytest.skip("PostgreSQL is not installed here (apt-get install postgresql)")
    server = PostgresServer(found)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def database_url(postgres_server):
    """The URL of a fresh, empty database on the session's PostgreSQL server."""
    return postgres_server.new_database()


@pytest.fixture(scope="session")
def embedder():
    from stpbot.embedding import open_embedder

    return open_embedder(cache_dir=MODEL_CACHE)


@pytest.fixture(scope="session")
def built(tmp_path_factory, embedder):
    """A copy of knowledge/ and an index built from it: (knowledge_dir, index_dir)."""
    from stpbot.index.build import build_index

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
    return Engine.open(knowledge_dir=knowledge, index_dir=index, embedder=embedder)


@pytest.fixture
def workspace(tmp_path, built):
    """A private, writable copy of the built knowledge and index folders."""
    knowledge, index = built
    shutil.copytree(knowledge, tmp_path / "knowledge")
    shutil.copytree(index, tmp_path / "index")
    return tmp_path / "knowledge", tmp_path / "index"


def _cli_env(knowledge, index, env):
    full = cli_environment()
    if knowledge is not None:
        full["STPBOT_KNOWLEDGE_DIR"] = str(knowledge)
    if index is not None:
        full["STPBOT_INDEX_DIR"] = str(index)
    full.update(env or {})
    return full


@pytest.fixture
def run_cli(monkeypatch):
    """Run the `stpbot` entry point in this process, its streams and environment isolated
    by typer's CliRunner; returns a CompletedProcess with the exit code and both streams."""
    from typer.testing import CliRunner

    from stpbot.cli import main

    def run(*args, knowledge=None, index=None, stdin=None, cwd=None, env=None):
        full = _cli_env(knowledge, index, env)
        changes = {key: None for key in os.environ if key not in full}
        changes.update(full)
        if cwd is not None:
            monkeypatch.chdir(cwd)
        with CliRunner().isolation(input=stdin, env=changes) as (out, err, _):
            try:
                main(list(args))
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
            sys.stdout.flush()
            sys.stderr.flush()
            stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
        return subprocess.CompletedProcess(args, code, stdout, stderr)

    return run


@pytest.fixture
def run_cli_process():
    """Run the installed `stpbot` console script in a subprocess: for exit codes, the
    absence of tracebacks and start-up cost, which only a real process shows."""

    def run(*args, knowledge=None, index=None, stdin=None, cwd=None, env=None):
        return subprocess.run(
            [stpbot_executable(), *args],
            input=stdin,
            check=False,
            capture_output=True,
            text=True,
            cwd=cwd,
            env=_cli_env(knowledge, index, env),
            timeout=300,
        )

    return run


@pytest.fixture
def fake_slack():
    fake = FakeSlack()
    yield fake
    fake.close()


@pytest.fixture
def slack(fake_slack, tmp_path, built, embedder):
    """The Slack app served over HTTP on loopback, answering from the bundled briefings."""
    knowledge, index = built
    server = serve_slack(fake_slack, tmp_path, knowledge, index, embedder)
    yield server
    server.close()


@pytest.fixture
def slack_workspace(fake_slack, tmp_path, workspace, embedder):
    """Like `slack`, over a private copy of knowledge/ and index/ that tests may change."""
    knowledge, index = workspace
    server = serve_slack(fake_slack, tmp_path, knowledge, index, embedder)
    yield server, knowledge
    server.close()
