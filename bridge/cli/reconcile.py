"""`jenkins-bridge reconcile`."""

from __future__ import annotations

import click


@click.command()
def reconcile() -> None:
    """Not built yet."""
    raise click.ClickException("'reconcile' is not built yet")
