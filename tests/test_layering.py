"""The core stays frontend-free and imports flow one way."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "stpbot.ingest",
    "stpbot.ingest.isolation",
    "stpbot.index.build",
    "stpbot.retrieve.retriever",
    "stpbot.answers",
    "stpbot.engine",
    "stpbot.chat.commands",
    "stpbot.chat.feedback",
    "stpbot.chat.memory",
    "stpbot.chat.live_engine",
    "stpbot.chat.replies",
    "stpbot.chat.bot",
    "stpbot.render.json",
    "stpbot.render.text",
    # Renderers are pure: they build Block Kit and Adaptive Card data, no SDK needed.
    "stpbot.render.slack",
    "stpbot.render.teams",
]


def test_core_imports_no_frontend_package():
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in CORE)
        + "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'slack_bolt', 'slack_sdk', 'microsoft_teams', 'botbuilder', 'fastapi', 'uvicorn'})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_cli_help_does_not_import_torch():
    code = "import sys\nimport stpbot.cli\nprint('torch' in sys.modules, 'faiss' in sys.modules)\n"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False False"


def test_each_frontend_leaves_the_other_alone():
    code = (
        "import sys\n"
        "import stpbot.slack.app, stpbot.slack.server\n"
        "print('microsoft_teams' in sys.modules)\n"
    )
    slack = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert slack.stdout.strip() == "False"
    code = (
        "import sys\n"
        "import stpbot.teams.app, stpbot.teams.server\n"
        "print('slack_bolt' in sys.modules)\n"
    )
    teams = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert teams.stdout.strip() == "False"
