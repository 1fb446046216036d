"""The README's configuration table and command list follow the code (a new setting or command fails here)."""

from __future__ import annotations

from pathlib import Path

import click

from bridge.cli import main
from bridge.settings import Settings, env_names

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented() -> None:
    names = env_names(Settings)
    assert len(names) > 20
    missing = [n for n in names if f"`{n}`" not in README]
    assert not missing, f"settings missing from README's configuration table: {missing}"


def test_every_command_is_documented() -> None:
    ctx = click.Context(main)
    commands = [name for name in main.list_commands(ctx) if name != "demo"]
    missing = [c for c in commands if f"jenkins-bridge {c}" not in README]
    assert not missing, f"commands missing from README: {missing}"
