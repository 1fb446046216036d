"""`jenkins-bridge apply -f` appends one audit entry per object it writes, attributed to the operator."""

from __future__ import annotations

import os
import pwd
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet

from bridge.audit.log import AuditLog, AuditQuery, Outcome
from bridge.cli import main
from bridge.store.engine import make_engine

EXAMPLE = Path(__file__).parents[2] / "examples" / "demo.yaml"


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("BRIDGE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BRIDGE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BRIDGE_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("DEMO_GIT_PASSWORD", "apply-audit-pw")
    monkeypatch.setenv("DEMO_KUBECONFIG", "apiVersion: v1")
    monkeypatch.setenv("USER", "ops-alice")  # claimed, recorded as such; the actor is the uid's account
    shutil.copy(EXAMPLE, tmp_path / "demo.yaml")
    return tmp_path


def entries(data_dir: Path) -> list[tuple[str, str, str, str, str | None, Outcome]]:
    log = AuditLog(make_engine(f"sqlite:///{data_dir / 'bridge.db'}"))
    return [
        (e.actor, e.actor_source, e.action, e.path, e.project, e.outcome)
        for e in reversed(log.query(AuditQuery(limit=500)))
    ]


def test_every_object_written_is_audited_and_unchanged_ones_are_not(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["apply", "-f", str(cli_env / "demo.yaml")])
    assert first.exit_code == 0, first.output
    written = [line for line in first.output.splitlines() if line.startswith("created")]
    audited = entries(cli_env)
    assert len(audited) == len(written) == 7
    operator = "cli:" + pwd.getpwuid(os.getuid()).pw_name
    assert {(a[0], a[1], a[5]) for a in audited} == {(operator, "cli", Outcome.SUCCESS)}
    assert audited[0][2:5] == ("workspace.create", "apply/workspaces/demo-workspace", None)
    by_action = {a[2] for a in audited}
    assert {"workspace.create", "project.create", "credential.write", "pipeline.write"} <= by_action
    cred = next(a for a in audited if a[2] == "credential.write")
    assert cred[3] == "apply/projects/demo/credentials/git" and cred[4] == "demo"

    again = runner.invoke(main, ["apply", "-f", str(cli_env / "demo.yaml")])
    assert again.exit_code == 0, again.output
    assert len(entries(cli_env)) == 7  # nothing written, nothing audited

    monkeypatch.setenv("DEMO_GIT_PASSWORD", "apply-audit-pw-2")
    changed = runner.invoke(main, ["apply", "-f", str(cli_env / "demo.yaml")])
    assert changed.exit_code == 0, changed.output
    after = entries(cli_env)
    assert len(after) == 8 and after[-1][2:5] == (
        "credential.write",
        "apply/projects/demo/credentials/git",
        "demo",
    )
    assert all("apply-audit-pw" not in a[3] for a in after)
