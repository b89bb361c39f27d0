"""Paths, constants and helpers the tests share (fixtures live in conftest.py)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from stpbot.chunk.chunking import Passage

SIGNING_SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-token-do-not-log"
BOT_USER = "UBOT0001"
ADMIN = "UADMIN01"

REPO = Path(__file__).resolve().parents[2]
# One ONNX export of the model serves every test and every `stpbot` process they start
# (an export takes seconds; the fingerprint check redoes it if the model changes).
MODEL_CACHE = REPO / ".pytest_cache" / "stpbot-models"
# Where `stpbot` subprocesses write SQLite files unless a test says otherwise; conftest
# points it at a session folder under pytest's temporary root.
STATE = Path(tempfile.gettempdir()) / "stpbot-test-state"
KNOWLEDGE = REPO / "knowledge"
# The labelled question sets shared beside the repository (tests reach them through
# the `shared_eval` fixture).
SHARED_EVAL = REPO.parent / "shared" / "eval"


def make_passage(
    text: str, *sentences: tuple[int, int], number: int = 0, doc_id: str = "doc"
) -> Passage:
    """A passage of `text` as the chunker would make it (one sentence unless given)."""
    return Passage(
        id=f"{doc_id}#p{number}",
        doc_id=doc_id,
        text=text,
        start=0,
        end=len(text),
        paragraph=number,
        heading=None,
        sentences=sentences or ((0, len(text)),),
    )


def cli_environment(*strip: str, **overrides: str) -> dict[str, str]:
    """This process's environment without any STPBOT_ (or other `strip`) settings,
    but with the shared model cache, for a `stpbot` subprocess."""
    prefixes = ("STPBOT_", *strip)
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(
        HF_HUB_OFFLINE="1",
        STPBOT_MODEL_CACHE=str(MODEL_CACHE),
        # A served bot's SQLite files go to a scratch folder, never the working copy.
        STPBOT_FEEDBACK_DB=str(STATE / "feedback.sqlite3"),
        STPBOT_MEMORY_DB=str(STATE / "memory.sqlite3"),
    )
    env.update(overrides)
    return env


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def process_table():
    """(pid, parent pid, CPU seconds used) of every process, read from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        yield int(stat.parent.name), int(fields[1]), (int(fields[11]) + int(fields[12])) / tick


def slack_server_env(fake_url, knowledge, index, state, **extra):
    """The environment of a served Slack bot talking to the fake Web API at `fake_url`."""
    settings = {
        "STPBOT_KNOWLEDGE_DIR": str(knowledge),
        "STPBOT_INDEX_DIR": str(index),
        "STPBOT_FEEDBACK_DB": str(state / "feedback.sqlite3"),
        "STPBOT_MEMORY_DB": str(state / "memory.sqlite3"),
        "STPBOT_SLACK_API_URL": fake_url + "/api/",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    }
    return cli_environment("SLACK_", **{**settings, **extra})


def slack_server_command(port, *extra):
    """`stpbot serve slack --http` on 127.0.0.1:`port`, as deployed."""
    http = ["--http", "--host", "127.0.0.1", "--port", str(port)]
    return [stpbot_executable(), "serve", "slack", *http, *extra]


def stpbot_executable() -> str:
    """The installed `stpbot` console script next to this interpreter."""
    candidate = Path(sys.executable).parent / "stpbot"
    return str(candidate) if candidate.exists() else shutil.which("stpbot") or "stpbot"


def slack_settings(fake, tmp_path, **extra):
    from stpbot.config import Settings

    return Settings(
        **{
            "slack_bot_token": BOT_TOKEN,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": fake.url + "/api/",
            "admin_users": [ADMIN],
            "feedback_db": tmp_path / "feedback.sqlite3",
            "memory_db": tmp_path / "memory.sqlite3",
            **extra,
        }
    )


class FakeClock:
    """A clock a test moves by hand, for TTLs without sleeping."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def engine_over(folder: Path, embedder, files: dict[str, str]):
    """An engine over a knowledge folder of `files` (name: text), built in `folder`."""
    from stpbot.engine import Engine
    from stpbot.index.build import build_index

    knowledge = folder / "knowledge"
    knowledge.mkdir()
    for name, text in files.items():
        (knowledge / name).write_text(text, encoding="utf-8")
    build_index(knowledge, folder / "index", embedder)
    return Engine.open(knowledge_dir=knowledge, index_dir=folder / "index", embedder=embedder)
