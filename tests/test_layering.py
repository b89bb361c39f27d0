"""The core stays frontend-free and imports flow one way."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "stpbot.search",
    "stpbot.answers",
    "stpbot.engine",
    "stpbot.render.json",
    "stpbot.render.text",
]


def test_core_imports_no_frontend_package():
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in CORE)
        + "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'slack_bolt', 'slack_sdk', 'microsoft_teams', 'botbuilder'})\n"
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
