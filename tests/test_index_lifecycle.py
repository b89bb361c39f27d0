"""Crash safety, hot reload and watching: the index a bot serves is never half-built."""

from __future__ import annotations

import signal
import subprocess
import threading
import time

import pytest

from stpbot.index.store import current_version, load_index, read_manifest
from tests.support import cli_environment, stpbot_executable
from tests.support.reports import ALLOTMENTS, make_pdf

QUESTION = "why were patients absent from STP governance?"


def cli_env(knowledge, index):
    return cli_environment(STPBOT_KNOWLEDGE_DIR=str(knowledge), STPBOT_INDEX_DIR=str(index))


def start_build(knowledge, index):
    return subprocess.Popen(
        [stpbot_executable(), "index", "--full"],
        env=cli_env(knowledge, index),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def assert_old_index_serves(knowledge, index, embedder, version):
    from stpbot.engine import Engine

    assert current_version(index) == version
    loaded = load_index(index, embedder.name, embedder.backend)  # verifies every file's sha256
    assert len(loaded.manifest.documents) == 5
    engine = Engine.open(knowledge_dir=knowledge, index_dir=index, embedder=embedder)
    assert "absent from STP governance" in engine.ask(QUESTION).quotes[0].text


def long_report(knowledge, index, paragraphs=2000):
    """One more report, long enough that embedding it takes many seconds."""
    from stpbot.index.store import load_index, read_manifest

    manifest = read_manifest(index)
    texts = [p.text for p in load_index(index, manifest.model, manifest.backend).passages]
    body = "\n\n".join(f"In area {n}, {texts[n % len(texts)]}" for n in range(paragraphs))
    (knowledge / "long.md").write_text(f"# A long report\n\n{body}\n", encoding="utf-8")


@pytest.mark.slow
def test_sigkill_during_embedding_leaves_the_old_index_serving(workspace, embedder):
    knowledge, index = workspace
    version = current_version(index)
    long_report(knowledge, index)
    build = start_build(knowledge, index)
    time.sleep(5)  # past start-up and parsing, inside the embedding of about 7,000 views
    assert build.poll() is None, build.stderr.read()
    build.send_signal(signal.SIGKILL)
    build.wait(30)
    assert_old_index_serves(knowledge, index, embedder, version)


@pytest.mark.slow
def test_sigkill_while_publishing_leaves_the_old_index_serving(workspace, embedder):
    knowledge, index = workspace
    version = current_version(index)
    build = start_build(knowledge, index)
    versions = index / "versions"
    deadline = time.monotonic() + 120
    # Kill the moment the new version's files start to be written.
    while not any(p.name.startswith(".build-") for p in versions.iterdir()):
        assert build.poll() is None and time.monotonic() < deadline, "build ended first"
        time.sleep(0.005)
    build.send_signal(signal.SIGKILL)
    build.wait(30)
    assert_old_index_serves(knowledge, index, embedder, version)
    # The next build is not blocked by the dead one's lock, and clears its leftovers.
    finished = start_build(knowledge, index)
    assert finished.wait(300) == 0, finished.stderr.read()
    assert current_version(index) != version
    assert not any(p.name.startswith(".build-") for p in versions.iterdir())


@pytest.mark.slow
def test_running_bot_switches_to_a_published_index_without_dropping_questions(
    workspace, embedder, tmp_path, run_cli
):
    from stpbot.chat.bot import ChatBot
    from stpbot.chat.live_engine import LiveEngine
    from stpbot.state.feedback import FeedbackStore

    knowledge, index = workspace
    live = LiveEngine(knowledge_dir=knowledge, index_dir=index, embedder=embedder)
    live.open()
    live.watch(interval=0.2)
    bot = ChatBot(live, FeedbackStore(tmp_path / "f.sqlite3"), frontend="test")
    before = live.engine
    answers, errors = [], []
    stop = threading.Event()

    def keep_asking():
        while not stop.is_set():
            try:
                answers.append(bot.ask(QUESTION).answer.answered)
            except Exception as exc:  # any failure in flight fails the test below
                errors.append(exc)

    askers = [threading.Thread(target=keep_asking) for _ in range(3)]
    for thread in askers:
        thread.start()
    try:
        make_pdf(knowledge / "survey.pdf", [[ALLOTMENTS]])
        result = run_cli("index", knowledge=knowledge, index=index)  # another process
        assert result.returncode == 0, result.stderr
        deadline = time.monotonic() + 30
        while live.engine is before and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # questions keep flowing after the swap too
    finally:
        stop.set()
        for thread in askers:
            thread.join()
        live.close()
    assert live.engine is not before
    assert errors == [] and len(answers) > 10 and all(answers)
    new = bot.ask("what did the Wessex survey find about allotments?")
    assert new.answer.quotes[0].source.id == "survey"


def test_rollback_from_the_cli_and_the_bot_follows(workspace, embedder, run_cli):
    from stpbot.chat.live_engine import LiveEngine

    knowledge, index = workspace
    first = current_version(index)
    live = LiveEngine(knowledge_dir=knowledge, index_dir=index, embedder=embedder)
    make_pdf(knowledge / "survey.pdf", [[ALLOTMENTS]])
    live.open()  # builds the version with the survey and serves it
    assert "survey" in live.engine.index.sources
    result = run_cli("index", "--rollback", knowledge=knowledge, index=index)
    assert result.returncode == 0, result.stderr
    assert "rolled back to the index built" in result.stderr and "5 documents" in result.stderr
    assert current_version(index) == first
    assert live.refresh() and "survey" not in live.engine.index.sources


@pytest.mark.slow
def test_watch_rebuilds_when_a_report_arrives(workspace):
    knowledge, index = workspace
    watcher = subprocess.Popen(
        [stpbot_executable(), "index", "--watch"],
        env=cli_env(knowledge, index),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        # A shell without job control starts background jobs with Ctrl-C ignored, and
        # children inherit that; the watcher must get Ctrl-C as a terminal would send it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )
    try:
        line = ""
        while "watching" not in line:
            line = watcher.stderr.readline()
            assert line or watcher.poll() is None, "watcher exited"
        (knowledge / "note.md").write_text("# Note\n\nPharmacists asked to join the STP board.\n")
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if any(d.source.id == "note" for d in read_manifest(index).documents):
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the watcher did not index the new file")
    finally:
        watcher.send_signal(signal.SIGINT)
        watcher.wait(30)
    assert watcher.returncode in (0, 130)
