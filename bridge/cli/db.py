"""`jenkins-bridge db migrate|grant-runtime-role`: schema upgrades and the runtime role, run as the owner.

With PostgreSQL the database has two roles: the owner, who runs ``db migrate`` (and ``audit prune``),
and the runtime role that ``serve`` and ``worker`` connect as, which cannot change or remove audit rows
(``bridge.store.grants``). Both commands read ``BRIDGE_DATABASE_URL``, which must name the owner here.
"""

from __future__ import annotations

import os

import click

from bridge.errors import BridgeError
from bridge.settings import Settings
from bridge.store import grants as runtime
from bridge.store import migrate as migrations
from bridge.store.engine import make_engine


@click.group()
def db() -> None:
    """Database schema and roles (run with the owner's BRIDGE_DATABASE_URL)."""


@db.command()
def migrate() -> None:
    """Upgrade the schema to this version's newest revision."""
    try:
        engine = make_engine(Settings.load(os.environ).database_url)
        migrations.upgrade(engine)
    except BridgeError as e:
        raise click.ClickException(e.detail) from None
    click.echo(f"schema at {migrations.current_revision(engine)}")


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
