"""PostgreSQL: the runtime role made by `db grant-runtime-role` runs the bridge but cannot change,
remove or truncate audit rows, add prune checkpoints, or drop the audit triggers."""

from __future__ import annotations

import uuid

import psycopg
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError

from bridge.audit import integrity
from bridge.audit.log import AuditLog, AuditQuery
from bridge.cli import main
from bridge.domain.model import Workspace
from bridge.identity.tables import writing
from bridge.services.workspaces import WorkspaceService
from bridge.store import Store, migrate
from bridge.store.crypto import SecretBox
from bridge.store.engine import make_engine
from tests.audit.conftest import entry

pytestmark = pytest.mark.postgres


@pytest.fixture
def runtime_role(postgres_url: str) -> str:
    role = "rt_" + uuid.uuid4().hex[:12]
    url = make_url(postgres_url)
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname=url.database, autocommit=True
    ) as c:
        c.execute(f'CREATE ROLE "{role}" LOGIN')
    return role


@pytest.fixture
def owner_env(postgres_url, tmp_path, monkeypatch) -> str:
    import os

    for name in list(os.environ):
        if name.startswith("BRIDGE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BRIDGE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BRIDGE_SECRET_KEY", "x" * 43 + "=")
    monkeypatch.setenv("BRIDGE_DATABASE_URL", postgres_url)
    return postgres_url


REFUSED = [
    "UPDATE audit_log SET actor = 'mallory'",
    "DELETE FROM audit_log",
    "TRUNCATE audit_log",
    "INSERT INTO audit_checkpoints (through_id, through_hash, rows, before, at, actor) "
    "VALUES (1000000, 'x', 1, now(), now(), 'mallory')",
    "DROP TRIGGER audit_log_guard ON audit_log",
    "ALTER TABLE audit_log DISABLE TRIGGER USER",
]


@pytest.mark.parametrize("statement", REFUSED)
def test_the_runtime_role_cannot_rewrite_the_audit_log(owner_env, runtime_role, statement) -> None:
    granted = CliRunner().invoke(main, ["db", "grant-runtime-role", runtime_role])
    assert granted.exit_code == 0, granted.output
    runtime_url = make_url(owner_env).set(username=runtime_role).render_as_string(hide_password=False)
    engine = make_engine(runtime_url)
    try:
        migrate.upgrade(engine)  # at head already: a no-op the runtime role may run at start
        AuditLog(engine).append(entry(0))
        store = Store(engine, SecretBox(Fernet.generate_key().decode()))
        WorkspaceService(store).create(Workspace(name="ws-a"))
        with pytest.raises(DatabaseError), writing(engine) as conn, conn.begin():
            conn.execute(sa.text(statement))
        assert [e.actor for e in AuditLog(engine).query(AuditQuery())] == ["alice"]
        assert integrity.verify(engine).ok
    finally:
        engine.dispose()


def test_grant_refuses_the_owner_and_superusers(owner_env) -> None:
    owner = make_url(owner_env).username
    result = CliRunner().invoke(main, ["db", "grant-runtime-role", str(owner)])
    assert result.exit_code == 1 and "superuser" in result.output


def test_grant_refuses_sqlite(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("BRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'a.db'}")
    monkeypatch.setenv("BRIDGE_SECRET_KEY", "x" * 43 + "=")
    result = CliRunner().invoke(main, ["db", "grant-runtime-role", "bridge_runtime"])
    assert result.exit_code == 1 and "PostgreSQL" in result.output


def test_print_sql_changes_nothing(owner_env, runtime_role) -> None:
    result = CliRunner().invoke(main, ["db", "grant-runtime-role", runtime_role, "--print-sql"])
    assert result.exit_code == 0, result.output
    assert f"GRANT SELECT, INSERT ON TABLE public.audit_log TO {runtime_role};" in result.output
    engine = make_engine(make_url(owner_env).set(username=runtime_role).render_as_string(hide_password=False))
    try:
        with pytest.raises(DatabaseError, match="permission denied"), engine.connect() as conn:
            conn.execute(sa.text("SELECT 1 FROM audit_log"))
    finally:
        engine.dispose()


def test_prune_as_the_runtime_role_is_refused_cleanly(owner_env, runtime_role, monkeypatch) -> None:
    assert CliRunner().invoke(main, ["db", "grant-runtime-role", runtime_role]).exit_code == 0
    runtime_url = make_url(owner_env).set(username=runtime_role).render_as_string(hide_password=False)
    engine = make_engine(runtime_url)
    try:
        AuditLog(engine).append(entry(0))
    finally:
        engine.dispose()
    monkeypatch.setenv("BRIDGE_DATABASE_URL", runtime_url)
    result = CliRunner().invoke(main, ["audit", "prune", "--before", "2026-06-01", "--no-archive"])
    assert result.exit_code == 1 and "run it as the tables' owner" in result.output
