"""Imports flow one way along the pipeline, with no cycle, and the core stays frontend-free."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "stpbot"

# The pipeline, left to right: a module may import from its own layer or a layer to its
# left, never from one to its right. Each entry is a module or a package prefix.
LAYERS: list[tuple[str, ...]] = [
    (
        "stpbot",
        "stpbot.errors",
        "stpbot.defaults",
        "stpbot.documents",
        "stpbot.topics",
        "stpbot.glossary",
        "stpbot.wording",
    ),
    ("stpbot.config",),
    ("stpbot.ingest",),
    ("stpbot.chunk",),
    ("stpbot.embedding",),
    ("stpbot.index",),
    ("stpbot.retrieve",),
    ("stpbot.answers", "stpbot.engine", "stpbot.evaluation", "stpbot.calibration"),
    ("stpbot.state",),
    ("stpbot.chat",),
    ("stpbot.render",),
    ("stpbot.slack", "stpbot.teams"),
    ("stpbot.cli", "stpbot.__main__"),
]
# Frontends share a layer but never each other.
APART = [("stpbot.slack", "stpbot.teams")]


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path) -> dict[str, set[str]]:
    """Every module of the package under `root` and the package modules it imports.

    All imports count: module level, inside functions and under TYPE_CHECKING.
    """
    paths = {module_name(root, p): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.add(sub if sub in paths else base)
        graph[name] = {t for t in targets if t in paths and t != name}
    return graph


def layer_of(module: str, layers: list[tuple[str, ...]]) -> int:
    best, rank = -1, -1
    for index, members in enumerate(layers):
        for prefix in members:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), index
    if rank < 0:
        raise AssertionError(f"{module} belongs to no layer; add it to LAYERS")
    return rank


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def upward_imports(
    graph: dict[str, set[str]],
    layers: list[tuple[str, ...]],
    apart: list[tuple[str, str]] = APART,
) -> list[str]:
    """Each import that points right along the pipeline, or between frontends kept apart."""
    found = []
    for source, targets in sorted(graph.items()):
        for target in sorted(targets):
            if layer_of(target, layers) > layer_of(source, layers):
                found.append(f"{source} -> {target}")
            for a, b in apart:
                if (_within(source, a) and _within(target, b)) or (
                    _within(source, b) and _within(target, a)
                ):
                    found.append(f"{source} -> {target} (frontends stay apart)")
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_from_a_layer_to_its_right():
    assert upward_imports(import_graph(PACKAGE), LAYERS) == []


def test_there_is_no_import_cycle_anywhere():
    assert cycles(import_graph(PACKAGE)) == []


def test_every_module_has_a_one_line_docstring():
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        if not doc or not doc.splitlines()[0].strip():
            missing.append(str(path.relative_to(PACKAGE.parent)))
    assert missing == []


def test_the_checks_catch_an_upward_import_and_a_cycle(tmp_path):
    root = tmp_path / "stpbot"
    (root / "chunk").mkdir(parents=True)
    (root / "render").mkdir()
    (root / "__init__.py").write_text("")
    (root / "chunk" / "__init__.py").write_text("")
    (root / "render" / "__init__.py").write_text("")
    # A chunker that reaches into the renderers (upward), which import it back (a cycle).
    (root / "chunk" / "split.py").write_text("def f():\n    from stpbot.render import slack\n")
    (root / "render" / "slack.py").write_text("from stpbot.chunk.split import f\n")
    graph = import_graph(root)
    assert upward_imports(graph, LAYERS) == ["stpbot.chunk.split -> stpbot.render.slack"]
    assert cycles(graph) == [["stpbot.chunk.split", "stpbot.render.slack"]]


CORE = [
    "stpbot.ingest",
    "stpbot.ingest.isolation",
    "stpbot.index.build",
    "stpbot.retrieve.retriever",
    "stpbot.answers",
    "stpbot.engine",
    "stpbot.chat.commands",
    "stpbot.state.feedback",
    "stpbot.state.memory",
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


def test_config_loads_no_other_stpbot_module():
    code = (
        "import sys\nimport stpbot.config\n"
        "print(sorted(m for m in sys.modules if m.startswith('stpbot')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "['stpbot', 'stpbot.config', 'stpbot.defaults']"


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
