"""`jenkins-bridge token`."""

from __future__ import annotations

import click


@click.command()
def token() -> None:
    """Not built yet."""
    raise click.ClickException("'token' is not built yet")
