"""`jenkins-bridge token create|list|revoke` against a real SQLite store."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bridge.cli import main
from bridge.identity.token_store import TokenStore
from bridge.store.engine import make_engine


@pytest.fixture
def env(tmp_path, monkeypatch) -> dict[str, str]:
    for name in list(__import__("os").environ):
        if name.startswith("BRIDGE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BRIDGE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BRIDGE_SECRET_KEY", "x" * 43 + "=")
    return {"db": f"sqlite:///{tmp_path / 'bridge.db'}"}


def test_create_list_revoke(env) -> None:
    runner = CliRunner()
    made = runner.invoke(main, ["token", "create", "--user", "alice", "--groups", "a, b", "--expires", "30d"])
    assert made.exit_code == 0, made.output
    token = made.stdout.strip()
    assert token.startswith("jbt_") and token not in made.stderr
    store = TokenStore(make_engine(env["db"]))
    info = store.verify(token)
    assert info is not None and info.groups == frozenset({"a", "b"}) and info.expires_at is not None

    listed = runner.invoke(main, ["token", "list", "--json"])
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["id"], r["user"], r["state"]) for r in rows] == [(info.id, "alice", "active")]
    assert token not in listed.output

    revoked = runner.invoke(main, ["token", "revoke", info.id])
    assert revoked.exit_code == 0, revoked.output
    assert store.verify(token) is None
    assert runner.invoke(main, ["token", "list", "--json"]).stdout == ""
    table = runner.invoke(main, ["token", "list", "--all"]).stdout
    assert "revoked" in table and "alice" in table


@pytest.mark.parametrize(
    "args",
    [["--user", "alice", "--expires", "soon"], ["--user", "bad\nname"], ["--user", "a", "--groups", "-x"]],
)
def test_create_refuses_bad_input(env, args) -> None:
    result = CliRunner().invoke(main, ["token", "create", *args])
    assert result.exit_code == 1 and "Error:" in result.output


def test_revoke_unknown_id(env) -> None:
    result = CliRunner().invoke(main, ["token", "revoke", "nope"])
    assert result.exit_code == 1 and "no token" in result.output
