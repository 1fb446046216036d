"""`jenkins-bridge serve`."""

from __future__ import annotations

import click


@click.command()
def serve() -> None:
    """Not built yet."""
    raise click.ClickException("'serve' is not built yet")
