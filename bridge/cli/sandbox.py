"""`jenkins-bridge sandbox ...`: the test doubles the project ships (sandbox Jenkins)."""

from __future__ import annotations

import click


@click.group()
def sandbox() -> None:
    """Run a sandbox service standalone."""
