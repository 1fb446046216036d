"""`jenkins-bridge db upgrade|current|downgrade|grant-runtime-role`: the schema and the runtime role.

``db upgrade`` (alias ``db migrate``) brings the schema to this version's newest revision (what the
Helm chart's pre-upgrade Job runs); ``db current`` prints the database's revision and this version's
head; ``db downgrade REVISION`` goes back to an older one (take a backup first). Upgrades and
downgrades are audited like other CLI changes.

With PostgreSQL the database has two roles: the owner, who runs ``db upgrade`` (and ``audit prune``),
and the runtime role that ``serve`` and ``worker`` connect as, which cannot change or remove audit rows
(``bridge.store.grants``). Both commands read ``BRIDGE_DATABASE_URL``, which must name the owner here.
"""

from __future__ import annotations

import os

import click
from alembic.util import CommandError
from sqlalchemy import Engine, inspect

from bridge.cli.operator_audit import append_cli_audit
from bridge.errors import BridgeError
from bridge.settings import Settings
from bridge.store import grants as runtime
from bridge.store import migrate as migrations
from bridge.store.engine import make_engine


@click.group()
def db() -> None:
    """Database schema and roles (run with the owner's BRIDGE_DATABASE_URL)."""


def _engine() -> Engine:
    return make_engine(Settings.load(os.environ).database_url)


def _audit(engine: Engine, action: str, revision: str | None) -> None:
    """The CLI audit entry of a schema change (none when the audit table is gone: below 0002)."""
    if "audit_log" in inspect(engine).get_table_names():
        append_cli_audit(engine, action=action, path=f"db/{revision or 'base'}")


@db.command()
def upgrade() -> None:
    """Upgrade the schema to this version's newest revision (idempotent)."""
    try:
        engine = _engine()
        before = migrations.current_revision(engine)
        migrations.upgrade(engine)
        after = migrations.current_revision(engine)
        if after != before:
            _audit(engine, "db.upgrade", after)
    except BridgeError as e:
        raise click.ClickException(e.detail) from None
    click.echo(f"schema at {after}" + ("" if after != before else " (already)"))


db.add_command(upgrade, "migrate")  # the earlier name, kept for scripts


@db.command()
def current() -> None:
    """Print the database's schema revision and the newest one this version knows."""
    try:
        engine = _engine()
        revision = migrations.current_revision(engine)
    except BridgeError as e:
        raise click.ClickException(e.detail) from None
    head = migrations.head_revision()
    state = "up to date" if revision == head else "needs 'jenkins-bridge db upgrade'"
    click.echo(f"database: {revision or 'empty'}\nthis version: {head}\n{state}")


@db.command()
@click.argument("revision")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def downgrade(revision: str, yes: bool) -> None:
    """Go back to schema REVISION (data of newer tables is lost: back up first)."""
    if not yes:
        click.confirm(f"downgrade the schema to {revision}? tables added since are dropped", abort=True)
    try:
        engine = _engine()
        migrations.downgrade(engine, revision)
        after = migrations.current_revision(engine)
        _audit(engine, "db.downgrade", after)
    except BridgeError as e:
        raise click.ClickException(e.detail) from None
    except CommandError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"schema at {after or 'base'}")


@db.command("grant-runtime-role")
@click.argument("role")
@click.option("--print-sql", is_flag=True, help="Only print the statements, change nothing.")
def grant_runtime_role(role: str, print_sql: bool) -> None:
    """Give ROLE what serve and worker need, and on the audit log only SELECT and INSERT."""
    try:
        engine = make_engine(Settings.load(os.environ).database_url)
        migrations.upgrade(engine)
        with engine.connect() as conn, conn.begin():
            planned = runtime.runtime_grants(conn, role)
            if not print_sql:
                runtime.apply(conn, planned)
    except BridgeError as e:
        raise click.ClickException(e.detail) from None
    for statement in planned.statements:
        click.echo(statement + ";")
    if not print_sql:
        click.echo(f"granted; connect serve and worker as {role}", err=True)
