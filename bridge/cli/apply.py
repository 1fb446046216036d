"""`jenkins-bridge apply`."""

from __future__ import annotations

import click


@click.command()
def apply() -> None:
    """Not built yet."""
    raise click.ClickException("'apply' is not built yet")
