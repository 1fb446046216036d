"""`jenkins-bridge token create|list|revoke`: API tokens for users and service accounts.

Runs against the store directly (whoever can run it can read the database anyway), prints a new token
once on stdout and everything else on stderr, so ``TOKEN=$(jenkins-bridge token create --user ci)``
works. Each change is appended to the audit log, in the transaction that makes it, with the local
operating-system account and uid as the actor (``bridge.cli.operator_audit``).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import click

from bridge.bootstrap import Container, build_container
from bridge.cli.operator_audit import operator, recording
from bridge.errors import BridgeError
from bridge.identity.token_store import TokenInfo
from bridge.identity.tokens import parse_duration
from bridge.settings import Settings


@contextmanager
def _container() -> Iterator[Container]:
    """The services, built by the composition root like every entry point's (store migrated)."""
    try:
        container = build_container(Settings.load(os.environ))
    except BridgeError as e:
        raise click.ClickException(e.detail) from None
    try:
        yield container
    finally:
        container.close()


def _row(info: TokenInfo, now: datetime) -> dict[str, object]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": info.id,
        "user": info.user,
        "groups": sorted(info.groups),
        "hint": info.hint + "…",
        "state": info.state(now),
        "created_at": iso(info.created_at),
        "created_by": info.created_by,
        "expires_at": iso(info.expires_at),
        "last_used_at": iso(info.last_used_at),
        "description": info.description,
    }


@click.group()
def token() -> None:
    """Create, list and revoke API tokens."""


@token.command()
@click.option("--user", required=True, help="User (or service-account) name the token authenticates as.")
@click.option("--groups", default="", help="Comma-separated groups, e.g. team-a,team-b.")
@click.option("--expires", default=None, help="Lifetime such as 30d, 12h, 2w; default: no expiry.")
@click.option("--description", default="", help="What the token is for.")
def create(user: str, groups: str, expires: str | None, description: str) -> None:
    """Mint a token; it is printed once and only its hash is stored."""
    try:
        lifetime = parse_duration(expires) if expires else None
    except BridgeError as e:
        raise click.ClickException(e.detail) from None
    with _container() as container:
        token_id = uuid.uuid4().hex
        try:
            with recording(container.store.engine, action="token.create", path=f"token/{token_id}"):
                issued = container.identity.tokens.create(
                    user=user,
                    groups=tuple(g.strip() for g in groups.split(",") if g.strip()),
                    expires_in=lifetime,
                    description=description,
                    created_by=operator(),
                    token_id=token_id,
                )
        except BridgeError as e:
            raise click.ClickException(e.detail) from None
    until = issued.info.expires_at.isoformat() if issued.info.expires_at else "never"
    click.echo(
        f"token {issued.info.id} for {user} (expires: {until}); store it now, it is not shown again", err=True
    )
    click.echo(issued.token)


@token.command("list")
@click.option("--user", default=None, help="Only this user's tokens.")
@click.option("--all", "show_all", is_flag=True, help="Include expired and revoked tokens.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
def list_(user: str | None, show_all: bool, as_json: bool) -> None:
    """List tokens (never the tokens themselves)."""
    now = datetime.now(UTC)
    with _container() as container:
        infos = container.identity.tokens.list(user=user, include_inactive=show_all)
    if as_json:
        for info in infos:
            click.echo(json.dumps(_row(info, now)))
        return
    click.echo(f"{'ID':32}  {'USER':20}  {'STATE':8}  {'EXPIRES':25}  {'LAST USED':25}  GROUPS")
    for i in infos:
        expires = i.expires_at.isoformat() if i.expires_at else "-"
        used = i.last_used_at.isoformat() if i.last_used_at else "-"
        click.echo(
            f"{i.id:32}  {i.user:20}  {i.state(now):8}  {expires:25}  {used:25}  {','.join(sorted(i.groups))}"
        )


@token.command()
@click.argument("token_id")
def revoke(token_id: str) -> None:
    """Revoke a token by id; requests with it get 401 from now on."""
    with _container() as container:
        try:
            with recording(container.store.engine, action="token.revoke", path=f"token/{token_id}"):
                info = container.identity.tokens.revoke(token_id)
        except BridgeError as e:
            raise click.ClickException(e.detail) from None
        click.echo(f"revoked token {info.id} of {info.user}", err=True)
        _forget_jenkins_identity(container, info.user)


def _forget_jenkins_identity(container: Container, user: str) -> None:
    """With user-token attribution, a user left without active tokens loses their Jenkins token too."""
    from bridge.store.jenkins_tokens import JenkinsTokenStore

    settings = container.settings
    if settings.jenkins.attribution != "user-token" or container.identity.tokens.list(user=user):
        return
    vault = JenkinsTokenStore(container.store.engine, container.store.box)
    if vault.get(user) is not None and container.runs is not None and not container.runs.forget(user):
        click.echo(f"warning: Jenkins unreachable; revoke the API token of {user} there", err=True)
