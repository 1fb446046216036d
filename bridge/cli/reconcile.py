"""`jenkins-bridge reconcile --once [--dry-run] [--project P] [--deep]`: one pass, printed.

Prints the plan (one line per object: create/update/delete/noop/conflict/forget/orphan), applies
it unless ``--dry-run``, then the outcome. Exits 1 when any object ended in error or Jenkins could
not be reached.

A pass that applies takes the worker's scheduler lock (``bridge.reconcile.leader``) without waiting:
while a ``worker`` (or ``serve --with-worker``) runs against the same database it refuses with a
clear message instead of racing it. ``--dry-run`` writes nothing and needs no lock. A full pass
also takes the queued API writes it covers, so they show ``synced`` at once.
"""

from __future__ import annotations

import os

import click

from bridge.domain.plan import Op
from bridge.errors import BridgeError, Conflict
from bridge.log import configure_logging
from bridge.settings import Settings


@click.command()
@click.option("--once", is_flag=True, help="Run one pass and exit (the worker runs passes forever).")
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing in Jenkins or the store.")
@click.option("--project", "projects", multiple=True, help="Only these projects (repeatable).")
@click.option(
    "--deep",
    is_flag=True,
    help="Also read back every job's and folder's config.xml, check the project identities and "
    "re-push credential values.",
)
@click.option("--quiet", "-q", is_flag=True, help="Do not print no-op lines.")
def reconcile(once: bool, dry_run: bool, projects: tuple[str, ...], deep: bool, quiet: bool) -> None:
    """Make Jenkins match the store once, printing the plan."""
    from bridge.bootstrap import build_worker
    from bridge.reconcile.leader import LeaderLock

    if not once:
        raise click.UsageError("only --once is supported; `jenkins-bridge worker` reconciles continuously")
    try:
        settings = Settings.load(os.environ)
        configure_logging(settings.log, secrets=settings.secrets())
        leader = LeaderLock(database_url=settings.database_url, data_dir=settings.data_dir)
        if not dry_run:
            try:
                leader.acquire(wait=False)
            except Conflict as e:
                raise Conflict(
                    f"{e.detail}; it applies every change itself. Stop it to run a pass by hand, "
                    "or use --dry-run to see the plan"
                ) from None
        try:
            worker = build_worker(settings)
            result = worker.once(projects, dry_run=dry_run, deep=True if deep else None)
        finally:
            leader.release()
    except BridgeError as e:
        raise click.ClickException(e.detail) from None
    for action in result.actions:
        if quiet and action.op is Op.NOOP:
            continue
        click.echo(str(action))
    for ref, message in sorted(result.errors.items()):
        click.echo(f"error    {ref}: {message}", err=True)
    planned = sum(1 for a in result.actions if a.op.writes)
    if dry_run:
        click.echo(f"dry run: {planned} writes planned, nothing applied")
    else:
        click.echo(f"applied {result.writes} of {planned} planned writes; {len(result.errors)} errors")
    if result.retry:
        click.echo(f"Jenkins unavailable; not reconciled: {', '.join(sorted(result.retry))}", err=True)
    if result.errors or result.retry:
        raise SystemExit(1)
