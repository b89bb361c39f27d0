"""The README's settings table, held to the code: every setting listed, each default
as `Settings` has it."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import AliasChoices

from stpbot.config import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def _table() -> dict[str, str]:
    """Each variable of the settings table and its default cell, backticks removed."""
    section = README.read_text(encoding="utf-8").split("## Settings", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`"):
            for name in re.findall(r"`([A-Z0-9_]+)`", cells[0]):
                rows[name] = cells[1].strip("`")
    return rows


def _variable(name: str) -> str:
    alias = Settings.model_fields[name].validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"STPBOT_{name.upper()}"


def test_every_setting_is_in_the_readme_with_its_default():
    table = _table()
    for name, field in Settings.model_fields.items():
        variable = _variable(name)
        assert variable in table, f"{variable} is missing from the README's settings table"
        default = field.default
        if default is None or field.default_factory is not None:
            continue
        if isinstance(default, bool):
            shown = str(default).lower()
        elif isinstance(default, float):
            shown = f"{default:g}"
        else:
            shown = str(default)
        assert table[variable] == shown, f"{variable}: README says {table[variable]}, code {shown}"
