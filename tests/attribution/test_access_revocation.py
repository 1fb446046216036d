"""Revoking a user's last bridge API token revokes the Jenkins token the bridge minted for them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from cryptography.fernet import Fernet

from bridge.cli import main
from bridge.identity.token_store import TokenStore
from bridge.store.crypto import SecretBox
from bridge.store.engine import make_engine
from bridge.store.jenkins_tokens import JenkinsTokenStore
from bridge.store.migrate import upgrade
from tests.attribution.conftest import ADMIN_CAN_GENERATE, actor, create_pipeline, user_token_runs


def test_last_bridge_token_revoked_revokes_the_jenkins_token(
    start_jenkins, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    j = start_jenkins(system_properties=ADMIN_CAN_GENERATE)
    create_pipeline(j, requested_by=False)
    key = Fernet.generate_key().decode()
    for name in [n for n in os.environ if n.startswith("BRIDGE_")]:
        monkeypatch.delenv(name)
    settings = {
        "BRIDGE_DATA_DIR": str(tmp_path),
        "BRIDGE_SECRET_KEY": key,
        "BRIDGE_JENKINS_URL": j.url,
        "BRIDGE_JENKINS_USER": j.admin_user,
        "BRIDGE_JENKINS_TOKEN": j.admin_token,
        "BRIDGE_JENKINS_ATTRIBUTION": "user-token",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    engine = make_engine(f"sqlite:///{tmp_path / 'bridge.db'}")
    upgrade(engine)
    vault = JenkinsTokenStore(engine, SecretBox(key))
    user_token_runs(j, vault).trigger_run("app", {}, actor("alice"))
    jenkins_token = vault.get("alice")
    assert jenkins_token is not None
    tokens = TokenStore(engine)
    first = tokens.create(user="alice", created_by="test")
    second = tokens.create(user="alice", created_by="test")

    runner = CliRunner()
    assert runner.invoke(main, ["token", "revoke", first.info.id]).exit_code == 0
    assert vault.get("alice") is not None  # alice still has a bridge token: still a user
    assert runner.invoke(main, ["token", "revoke", second.info.id]).exit_code == 0
    assert vault.get("alice") is None
    who = requests.get(f"{j.url}whoAmI/api/json", auth=("alice", jenkins_token.token), timeout=5)
    assert who.status_code == 401
    engine.dispose()
