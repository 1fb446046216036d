"""The ``jenkins-bridge`` command: one click group, one module per sub-command family.

Sub-commands are imported when they run, so ``apply -f`` does not load the web server and
``serve`` does not load the sandbox.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from bridge import __version__

#: name -> (module, command attribute)
COMMANDS = {
    "serve": ("bridge.cli.serve", "serve"),
    "receive": ("bridge.cli.receive", "receive"),
    "worker": ("bridge.cli.worker", "worker"),
    "reconcile": ("bridge.cli.reconcile", "reconcile"),
    "apply": ("bridge.cli.apply", "apply"),
    "sandbox": ("bridge.cli.sandbox", "sandbox"),
    "token": ("bridge.cli.token", "token"),
    "demo": ("bridge.cli.demo", "demo"),
    "audit": ("bridge.cli.audit", "audit"),
    "db": ("bridge.cli.db", "db"),
    "backup": ("bridge.cli.maintenance", "backup"),
    "rotate-key": ("bridge.cli.maintenance", "rotate_key"),
    "compose-env": ("bridge.cli.compose_env", "compose_env"),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute = COMMANDS[cmd_name]
        command: Any = getattr(importlib.import_module(module), attribute)
        return command  # type: ignore[no-any-return]


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="jenkins-bridge")
def main() -> None:
    """jenkins-bridge: DevOps projects, pipelines and credentials kept in step with Jenkins."""
    from bridge.cli.heap import freeze_at_exit

    freeze_at_exit()
