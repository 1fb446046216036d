"""`jenkins-bridge audit verify|prune`: check the audit log's hash chain; archive and remove old rows.

``verify`` exits 0 when every row checks, 1 naming the first row that does not (changed, removed,
inserted or reordered rows all break the chain there). ``prune`` is the only way rows leave the log:
it removes the oldest rows (up to the first one written at or after ``--before``), writes them to the
``--archive`` file first (JSON lines, one row each, hashes included, so ``verify --archive`` checks the
file later), records a checkpoint and an ``audit.prune`` entry, all in one transaction. On PostgreSQL it
must run as the tables' owner: the runtime role has no DELETE on the log (``db grant-runtime-role``).
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from bridge.audit import integrity
from bridge.cli.operator_audit import cli_entry
from bridge.errors import BridgeError
from bridge.settings import Settings
from bridge.store import migrate
from bridge.store.engine import make_engine


def _engine() -> Engine:
    try:
        engine = make_engine(Settings.load(os.environ).database_url)
        migrate.upgrade(engine)
    except BridgeError as e:
        raise click.ClickException(e.detail) from None
    return engine


def _instant(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use an ISO 8601 date or time, e.g. 2026-01-01T00:00Z") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


@click.group()
def audit() -> None:
    """Check and retire the append-only audit log."""


@audit.command()
@click.option(
    "--archive",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Check an archive written by `audit prune` instead of the database.",
)
def verify(archive: Path | None) -> None:
    """Check the hash chain; exit 1 and name the first bad row when it does not hold."""
    if archive is not None:
        verdict = integrity.verify_archive(integrity.iter_lines(archive))
        where = str(archive)
    else:
        verdict = integrity.verify(_engine())
        where = "the audit log"
    if not verdict.ok:
        click.echo(
            f"audit chain broken in {where}: row {verdict.first_bad} {verdict.reason} "
            f"({verdict.rows} rows before it verified)",
            err=True,
        )
        sys.exit(1)
    click.echo(f"{where}: {verdict.rows} rows verified; head {verdict.head}")


@audit.command()
@click.option("--before", "before", required=True, help="Remove rows written before this date/time (UTC).")
@click.option(
    "--archive",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the removed rows here first (a new file; JSON lines).",
)
@click.option("--no-archive", is_flag=True, help="Remove the rows without keeping a copy.")
def prune(before: str, archive: Path | None, no_archive: bool) -> None:
    """Archive and remove the oldest rows; the rows left still verify."""
    if (archive is None) == (not no_archive):
        raise click.UsageError("give --archive FILE, or --no-archive to drop the rows without a copy")
    cutoff = _instant(before)
    if cutoff > datetime.now(UTC):
        raise click.BadParameter("--before is in the future")
    if archive is not None and archive.exists():
        raise click.BadParameter(f"{archive} exists; the archive must be a new file")
    entry = cli_entry(action="audit.prune", path=f"audit/prune?before={cutoff.isoformat()}")
    try:
        done = integrity.prune(_engine(), before=cutoff, entry=entry, archive=archive)
    except integrity.ChainBroken as e:
        raise click.ClickException(f"refusing to prune: the chain is broken at {e}") from None
    except BridgeError as e:
        raise click.ClickException(e.detail) from None
    except DBAPIError as e:  # the runtime role: no DELETE on the log, no INSERT on checkpoints
        raise click.ClickException(
            f"the database refused the prune ({type(e.orig).__name__}); run it as the tables' owner"
        ) from None
    if not done.rows:
        click.echo("nothing to prune")
        return
    kept = f" into {archive} (sha256 {done.archive_sha256})" if archive else ""
    click.echo(f"pruned {done.rows} rows through id {done.through_id}{kept}")
