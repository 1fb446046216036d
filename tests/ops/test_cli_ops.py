"""`db upgrade|current|downgrade`, `backup` and `rotate-key` on a real SQLite store (and the pg_dump
advice): what each changes, that each is audited, and that key rotation loses no secret, even when a
run stops halfway."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from flask import Flask

from bridge.app import create_app
from bridge.audit.log import AuditLog, AuditQuery
from bridge.cli import main
from bridge.domain.clusters import ClusterRecord, SourceKind
from bridge.errors import ConfigurationError
from bridge.settings import Settings
from bridge.store import Store, migrate
from bridge.store.clusters import ClusterCatalog
from bridge.store.crypto import SecretBox
from bridge.store.jenkins_tokens import JenkinsTokenStore
from bridge.store.rotation import rotate, verify
from tests.fixtures.app import ADMIN_TOKEN, ApiClient
from tests.fixtures.leaks import register_secret

CRED_SECRET = "rotate-Cred-s3cret-41x"
PARAM_SECRET = "rotate-Param-s3cret-42y"
USER_TOKEN = "11aa22bb33cc44dd55ee66ff77aa88bb99"
KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\n# rotate-kube-s3cret-43z\n"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in list(os.environ):
        if name.startswith("BRIDGE_"):
            monkeypatch.delenv(name)
    values = {
        "BRIDGE_DATA_DIR": str(tmp_path),
        "BRIDGE_SECRET_KEY": Fernet.generate_key().decode(),
        "BRIDGE_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    register_secret(CRED_SECRET, PARAM_SECRET, USER_TOKEN)
    return values


def cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def actions(engine: object) -> list[str]:
    return [e.action for e in AuditLog(engine).query(AuditQuery())]  # type: ignore[arg-type]


def test_db_upgrade_current_downgrade_and_the_migrate_alias(env: dict[str, str], tmp_path: Path) -> None:
    head = migrate.head_revision()
    assert cli("db", "upgrade").strip() == f"schema at {head}"
    assert "(already)" in cli("db", "migrate")
    assert cli("db", "current").splitlines() == [f"database: {head}", f"this version: {head}", "up to date"]
    assert (
        cli("db", "downgrade", "0007_pipeline_validation", "--yes").strip()
        == "schema at 0007_pipeline_validation"
    )
    assert "needs 'jenkins-bridge db upgrade'" in cli("db", "current")
    assert cli("db", "upgrade").strip() == f"schema at {head}"
    store = Store.from_settings(Settings.load(os.environ))
    try:
        assert actions(store.engine) == ["db.upgrade", "db.downgrade", "db.upgrade"]
    finally:
        store.close()
    refused = CliRunner().invoke(main, ["db", "downgrade", "nonsense", "--yes"])
    assert refused.exit_code == 1 and "Traceback" not in refused.output


def _seed(app: Flask) -> None:
    api = ApiClient(app.test_client())
    assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    assert api.post("/api/v1/projects", {"name": "demo", "workspace": "ws"}).status_code == 201
    for n in range(3):
        body = {"id": f"tok{n}", "type": "secret-text", "data": {"secret": f"{CRED_SECRET}{n}"}}
        assert api.post("/api/v1/projects/demo/credentials", body).status_code == 201
    pipeline = {
        "name": "build",
        "jenkinsfile": "echo hi",
        "parameters": [{"name": "PW", "type": "password", "default": PARAM_SECRET}],
    }
    assert api.post("/api/v1/projects/demo/pipelines", pipeline).status_code == 201


def test_backup_is_a_consistent_private_copy_that_restores(env: dict[str, str], tmp_path: Path) -> None:
    app = create_app(Settings.load(os.environ))
    _seed(app)
    target = tmp_path / "backups" / "bridge-1.db"
    target.parent.mkdir()
    out = cli("backup", str(target))
    assert "back up BRIDGE_SECRET_KEY separately" in out
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM credentials").fetchone() == (3,)
    app.extensions["bridge"].close()
    restored = create_app(Settings.load({**env, "BRIDGE_DATABASE_URL": f"sqlite:///{target}"}))
    container = restored.extensions["bridge"]
    try:
        with container.store.read() as tx:
            stored = tx.credentials.get("demo", "tok1")
        assert stored is not None and stored.obj.data["secret"] == f"{CRED_SECRET}1"
        assert "db.backup" not in actions(container.store.engine)  # appended after the copy...
    finally:
        container.close()
    original = Store.from_settings(Settings.load(os.environ))
    try:
        assert actions(original.engine)[0] == "db.backup"  # ... to the database backed up
    finally:
        original.close()
    again = CliRunner().invoke(main, ["backup", str(target)])
    assert again.exit_code == 1 and "exists" in again.output


def test_backup_of_postgresql_prints_pg_dump_advice_without_the_password(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIDGE_DATABASE_URL", "postgresql+psycopg://bridge:Pg-pw-9x7@db:5432/bridge")
    out = cli("backup", "bridge.dump")
    assert "pg_dump --format=custom --file=bridge.dump 'postgresql://bridge:***@db:5432/bridge'" in out
    assert "Pg-pw-9x7" not in out


def _everything(store: Store) -> dict[str, str]:
    """Every secret the store holds, opened with the store's box."""
    found = {}
    with store.read() as tx:
        for n in range(3):
            stored = tx.credentials.get("demo", f"tok{n}")
            assert stored is not None
            found[f"tok{n}"] = stored.obj.data["secret"]
        pipeline = tx.pipelines.get("demo", "build")
    assert pipeline is not None
    found["param"] = str({p.name: p.default for p in pipeline.obj.parameters}["PW"])
    token = JenkinsTokenStore(store.engine, store.box).get("alice")
    found["token"] = token.token if token else ""
    found["kubeconfig"] = ClusterCatalog(store.engine, store.box).kubeconfig("east") or ""
    return found


EXPECTED = {
    **{f"tok{n}": f"{CRED_SECRET}{n}" for n in range(3)},
    "param": PARAM_SECRET,
    "token": USER_TOKEN,
    "kubeconfig": KUBECONFIG,
}


def test_rotate_key_loses_no_secret_even_when_a_run_stops_halfway(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    old = env["BRIDGE_SECRET_KEY"]
    app = create_app(Settings.load(os.environ))
    _seed(app)
    store: Store = app.extensions["bridge"].store
    JenkinsTokenStore(store.engine, store.box).add("alice", "uuid-1", USER_TOKEN)
    record = ClusterRecord(name="east", source=SourceKind.STATIC, origin="file east", kubeconfig=KUBECONFIG)
    ClusterCatalog(store.engine, store.box).sync({"east": record}, authoritative=[SourceKind.STATIC])
    assert _everything(store) == EXPECTED
    app.extensions["bridge"].close()

    new = Fernet.generate_key().decode()
    monkeypatch.setenv("BRIDGE_SECRET_KEY", new)
    monkeypatch.setenv("BRIDGE_SECRET_KEY_PREVIOUS", old)
    both = Store.from_settings(Settings.load(os.environ))
    assert _everything(both) == EXPECTED  # the services read old and new while the rotation runs

    class Crash(Exception):
        pass

    done: list[str] = []

    def crash_after_two(table: str) -> None:
        done.append(table)
        if len(done) == 2:
            raise Crash

    with pytest.raises(Crash):
        rotate(both.engine, both.box, after_row=crash_after_two)
    assert _everything(both) == EXPECTED  # half rotated: every value still opens
    assert 0 < len(verify(both.engine, both.box)) < 6
    both.close()

    out = cli("rotate-key")
    assert "credentials: 1 re-sealed, 2 already current" in out
    assert "pipelines: 1 re-sealed" in out and "jenkins_user_tokens: 1 re-sealed" in out
    assert "cluster_inventory: 1 re-sealed" in out and "can be removed" in out
    assert "credentials: 0 re-sealed, 3 already current" in cli("rotate-key")  # idempotent

    monkeypatch.delenv("BRIDGE_SECRET_KEY_PREVIOUS")
    only_new = Store.from_settings(Settings.load(os.environ))
    try:
        assert _everything(only_new) == EXPECTED
        assert verify(only_new.engine, only_new.box) == []
        assert actions(only_new.engine).count("secret-key.rotate") == 2
    finally:
        only_new.close()
    stale = Store.from_settings(Settings.load({**env, "BRIDGE_SECRET_KEY": old}))
    try:
        with pytest.raises(ConfigurationError):
            _everything(stale)
    finally:
        stale.close()
    assert SecretBox(new).open_text(SecretBox(new).seal_text("x")) == "x"


def test_rotate_key_generate_prints_a_fresh_key(env: dict[str, str]) -> None:
    first, second = cli("rotate-key", "--generate").strip(), cli("rotate-key", "--generate").strip()
    assert first != second and len(first) == 44
    Fernet(first.encode())
