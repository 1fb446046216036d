"""`jenkins-bridge backup` and `jenkins-bridge rotate-key`: what an operator runs besides the services.

``backup FILE`` copies the SQLite database with SQLite's online backup API (consistent while
``serve`` and ``worker`` keep writing) into a new file of mode 0600; with PostgreSQL it prints how to
run ``pg_dump`` instead. The secret key is not in the database: back it up separately.

``rotate-key`` re-seals every secret at rest under ``BRIDGE_SECRET_KEY`` while the previous key stays
readable (``BRIDGE_SECRET_KEY_PREVIOUS``): see ``bridge.store.rotation`` and docs/operations.md.
Both are audited like other CLI commands.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import click
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url

from bridge.cli.operator_audit import append_cli_audit
from bridge.errors import BridgeError
from bridge.settings import Settings, mask_url_password
from bridge.store import Store


@click.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup(target: Path) -> None:
    """Copy the SQLite database to TARGET (a new file, mode 0600); for PostgreSQL, print pg_dump advice."""
    try:
        settings = Settings.load(os.environ)
        url = make_url(settings.database_url)
        if url.get_backend_name() != "sqlite":
            click.echo(_pg_dump_advice(settings.database_url, target))
            return
        source = url.database
        if not source or source == ":memory:" or source.startswith("file:"):
            raise click.ClickException("an in-memory database cannot be backed up")
        if not Path(source).is_file():
            raise click.ClickException(f"no database at {source}")
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise click.ClickException(f"{target} exists; choose a new file") from None
        os.close(fd)
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        store = Store.from_settings(settings)
        try:
            append_cli_audit(store.engine, action="db.backup", path=f"backup/{target.name}"[:200])
        finally:
            store.close()
    except BridgeError as e:
        raise click.ClickException(e.detail) from None
    click.echo(f"backed up {source} to {target} (mode 0600); back up BRIDGE_SECRET_KEY separately")


def _pg_dump_advice(database_url: str, target: Path) -> str:
    shown = mask_url_password(database_url).replace("postgresql+psycopg://", "postgresql://")
    return (
        "the store is PostgreSQL: back it up with PostgreSQL's own tools, e.g.\n"
        f"  pg_dump --format=custom --file={target} '{shown}'\n"
        "(give the password through PGPASSWORD or ~/.pgpass; restore with pg_restore --clean "
        "--dbname=...), or use your provider's snapshots. Back up BRIDGE_SECRET_KEY separately."
    )


@click.command("rotate-key")
@click.option("--generate", is_flag=True, help="Only print a new Fernet key (to use as BRIDGE_SECRET_KEY).")
def rotate_key(generate: bool) -> None:
    """Re-seal every stored secret under BRIDGE_SECRET_KEY; earlier keys in BRIDGE_SECRET_KEY_PREVIOUS.

    Safe to interrupt and run again; prints what it re-sealed and whether the previous key can go.
    """
    if generate:
        click.echo(Fernet.generate_key().decode("ascii"))
        return
    from bridge.store.rotation import rotate, verify

    try:
        settings = Settings.load(os.environ)
        store = Store.from_settings(settings)
        try:
            report = rotate(store.engine, store.box)
            stale = verify(store.engine, store.box)
            append_cli_audit(store.engine, action="secret-key.rotate", path="secret-key")
        finally:
            store.close()
    except BridgeError as e:
        raise click.ClickException(e.detail) from None
    for table in report.rotated:
        click.echo(f"{table}: {report.rotated[table]} re-sealed, {report.current[table]} already current")
    if stale:
        raise click.ClickException(
            f"{len(stale)} rows are still sealed under an earlier key (written meanwhile?): run it again"
        )
    click.echo("every secret is sealed under BRIDGE_SECRET_KEY: BRIDGE_SECRET_KEY_PREVIOUS can be removed")
