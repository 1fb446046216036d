"""The ``jenkins-bridge`` command: one click group, one module per sub-command family."""

from __future__ import annotations

import click

from bridge import __version__
from bridge.cli import apply, audit, db, demo, maintenance, reconcile, sandbox, serve, token, worker


@click.group()
@click.version_option(__version__, prog_name="jenkins-bridge")
def main() -> None:
    """jenkins-bridge: DevOps projects, pipelines and credentials kept in step with Jenkins."""


main.add_command(serve.serve)
main.add_command(worker.worker)
main.add_command(reconcile.reconcile)
main.add_command(apply.apply)
main.add_command(sandbox.sandbox)
main.add_command(token.token)
main.add_command(demo.demo)
main.add_command(audit.audit)
main.add_command(db.db)
main.add_command(maintenance.backup)
main.add_command(maintenance.rotate_key)
