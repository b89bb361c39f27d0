"""The benchmark script runs end to end on a tiny corpus (its numbers are not checked:
speed is measured by the script, not by tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


def table_rows(text):
    return [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]


@pytest.mark.slow
def test_benchmark_script_runs_on_a_tiny_corpus():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--tiny"],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    pipeline, index_only = result.stdout.split("### Index only")
    header, row = table_rows(pipeline)
    assert header.count("|") == row.count("|") == 13
    assert "| exact |" in row and row.endswith("| 1.000 |")  # a small index is exact
    header, row = table_rows(index_only)
    # 12,000 vectors are past the exact threshold: a graph, tuned and measured.
    assert row.startswith("| 12,000 |") and "| HNSW32 ef " in row and row.count("ms") == 4
    assert "done in" in result.stderr


@pytest.mark.slow
def test_the_million_passage_script_runs_small():
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT.parent / "scale.py"),
            "--passages",
            "2000",
            "--source",
            "200",
            "--rounds",
            "1",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    header, row = table_rows(result.stdout)
    assert header.count("|") == row.count("|") == 13
    passages = int(row.split("|")[1].replace(",", ""))
    assert 1_500 <= passages <= 2_500 and "| HNSW32 ef " in row
    # Every paragraph's sentences came from the generator, none from pysbd.
    assert "(0 paragraphs left to pysbd)" in result.stderr
