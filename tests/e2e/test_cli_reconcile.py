"""`jenkins-bridge reconcile --once` takes the worker's scheduler lock: it refuses clearly while a
worker holds it (``--dry-run`` still plans), and applies once the lock is free."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bridge.cli import main
from bridge.reconcile.leader import LeaderLock
from bridge.sandbox.jenkins import SandboxJenkins
from bridge.settings import Settings
from tests.e2e.conftest import P, jenkins_env
from tests.fixtures.app import ApiClient


@pytest.fixture
def env(settings: Settings, sandbox_jenkins: SandboxJenkins) -> dict[str, str]:
    return {
        **jenkins_env(sandbox_jenkins),
        "BRIDGE_DATA_DIR": str(settings.data_dir),
        "BRIDGE_SECRET_KEY": settings.secret_key.get_secret_value(),
    }


def test_reconcile_once_refuses_while_a_worker_holds_the_lock(
    api: ApiClient, settings: Settings, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in [k for k in __import__("os").environ if k.startswith("BRIDGE_")]:
        monkeypatch.delenv(key)
    assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    assert api.post(P, {"name": "demo", "workspace": "ws"}).status_code == 201
    runner = CliRunner()
    held = LeaderLock(database_url=settings.database_url, data_dir=Path(settings.data_dir))
    assert held.acquire(wait=False)
    try:
        refused = runner.invoke(main, ["reconcile", "--once"], env=env)
        assert refused.exit_code == 1
        assert "another jenkins-bridge worker is running" in refused.output and "--dry-run" in refused.output
        assert api.get(f"{P}/demo").json["sync"]["status"] == "pending"
        planned = runner.invoke(main, ["reconcile", "--once", "--dry-run"], env=env)
        assert planned.exit_code == 0, planned.output
        assert "create   project demo" in planned.output and "nothing applied" in planned.output
    finally:
        held.release()
    applied = runner.invoke(main, ["reconcile", "--once"], env=env)
    assert applied.exit_code == 0, applied.output
    assert "applied 1 of 1 planned writes" in applied.output
    assert api.get(f"{P}/demo").json["sync"]["status"] == "synced"
    again = LeaderLock(database_url=settings.database_url, data_dir=Path(settings.data_dir))
    assert again.acquire(wait=False)  # the one-off pass released the lock
    again.release()
