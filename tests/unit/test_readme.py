"""The README's configuration table and command list follow the code (a new setting or command fails here)."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

import click

from bridge.cli import main
from bridge.settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _env_names(cls: type, prefix: str) -> list[str]:
    names: list[str] = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if dataclasses.is_dataclass(hint):
            names += _env_names(hint, f"{prefix}{f.name.upper()}_")
        else:
            names.append(f"{prefix}{f.name.upper()}")
    return names


def test_every_setting_is_documented() -> None:
    names = _env_names(Settings, "BRIDGE_")
    assert len(names) > 20
    missing = [n for n in names if f"`{n}`" not in README]
    assert not missing, f"settings missing from README's configuration table: {missing}"


def test_every_command_is_documented() -> None:
    ctx = click.Context(main)
    commands = [name for name in main.list_commands(ctx) if name != "demo"]
    missing = [c for c in commands if f"jenkins-bridge {c}" not in README]
    assert not missing, f"commands missing from README: {missing}"
