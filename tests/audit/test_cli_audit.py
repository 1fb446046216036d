"""CLI changes: the actor comes from the process's uid (not ``$USER``), and the entry commits in the
transaction of the change (``token create|revoke``, ``apply``)."""

from __future__ import annotations

import os
import pwd
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from bridge.audit.log import AuditLog, AuditQuery
from bridge.cli import main
from bridge.identity.tables import api_tokens, writing
from bridge.store import migrate
from bridge.store.engine import make_engine
from bridge.store.tables import workspaces

EXAMPLE = Path(__file__).parents[2] / "examples" / "demo.yaml"
ACCOUNT = pwd.getpwuid(os.getuid()).pw_name


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in list(os.environ):
        if name.startswith("BRIDGE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BRIDGE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BRIDGE_SECRET_KEY", "x" * 43 + "=")
    monkeypatch.setenv("DEMO_GIT_PASSWORD", "cli-audit-pw-1")
    monkeypatch.setenv("DEMO_KUBECONFIG", "apiVersion: v1")
    shutil.copy(EXAMPLE, tmp_path / "demo.yaml")
    return f"sqlite:///{tmp_path / 'bridge.db'}"


def _unwritable_audit_log(url: str) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    _add_failing_trigger(url)


def _count(url: str, table: sa.Table) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0)
    finally:
        engine.dispose()


def test_the_actor_is_the_uid_account_whatever_USER_says(env, monkeypatch) -> None:
    monkeypatch.setenv("USER", "admin-impostor")
    monkeypatch.setenv("LOGNAME", "admin-impostor")
    made = CliRunner().invoke(main, ["token", "create", "--user", "ci"])
    assert made.exit_code == 0, made.output
    (entry,) = AuditLog(make_engine(env)).query(AuditQuery())
    assert entry.actor == f"cli:{ACCOUNT}"
    assert entry.address == f"local uid={os.getuid()} env-user=admin-impostor"
    assert entry.action == "token.create" and entry.actor_source == "cli"


def test_a_token_is_not_created_when_its_entry_cannot_be_written(env) -> None:
    _unwritable_audit_log(env)
    made = CliRunner().invoke(main, ["token", "create", "--user", "ci"])
    assert made.exit_code != 0
    assert _count(env, api_tokens) == 0


def test_token_revoke_commits_with_its_entry(env) -> None:
    made = CliRunner().invoke(main, ["token", "create", "--user", "ci"])
    token_id = AuditLog(make_engine(env)).query(AuditQuery())[0].path.removeprefix("token/")
    assert made.exit_code == 0
    _add_failing_trigger(env)
    assert CliRunner().invoke(main, ["token", "revoke", token_id]).exit_code != 0
    engine = make_engine(env)
    with engine.connect() as conn:
        revoked = conn.execute(sa.select(api_tokens.c.revoked_at).where(api_tokens.c.id == token_id)).scalar()
    assert revoked is None
    unknown = CliRunner().invoke(main, ["token", "revoke", "nope"])
    assert unknown.exit_code == 1 and "no token" in unknown.output


def _add_failing_trigger(url: str) -> None:
    engine = make_engine(url)
    with writing(engine) as conn, conn.begin():
        conn.execute(
            sa.text(
                "CREATE TRIGGER audit_unwritable BEFORE INSERT ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END"
            )
        )
    engine.dispose()


def test_apply_writes_nothing_it_cannot_audit(env, tmp_path) -> None:
    _unwritable_audit_log(env)
    result = CliRunner().invoke(main, ["apply", "-f", str(tmp_path / "demo.yaml")])
    assert result.exit_code != 0
    assert _count(env, workspaces) == 0
