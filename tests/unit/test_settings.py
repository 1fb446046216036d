"""Settings: precedence, coercion, validation messages, generated key, masking."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bridge.errors import ConfigurationError
from bridge.settings import Settings

KEY = Fernet.generate_key().decode()


def test_defaults_and_generated_secret_key(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        s = Settings.load({"BRIDGE_DATA_DIR": str(tmp_path)})
    key_file = tmp_path / "secret.key"
    assert key_file.read_text().strip() == s.secret_key.get_secret_value()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "generated one" in caplog.text and s.secret_key.get_secret_value() not in caplog.text
    assert s.database_url == f"sqlite:///{tmp_path / 'bridge.db'}"
    assert s.reconcile.resync_interval == 300 and s.api.max_body_bytes == 1024 * 1024
    assert Settings.load({"BRIDGE_DATA_DIR": str(tmp_path)}).secret_key == s.secret_key  # reused


def test_env_overrides_yaml_overrides_defaults(tmp_path: Path) -> None:
    config = tmp_path / "bridge.yaml"
    config.write_text(
        "jenkins:\n  url: https://yaml.example/jenkins/\n  retries: 5\n  verify_tls: false\n"
        "reconcile:\n  resync_interval: 60\nlog:\n  format: json\n"
    )
    env = {
        "BRIDGE_CONFIG": str(config),
        "BRIDGE_DATA_DIR": str(tmp_path),
        "BRIDGE_SECRET_KEY": KEY,
        "BRIDGE_JENKINS_RETRIES": "7",
        "BRIDGE_LOG_LEVEL": "debug",
        "BRIDGE_JENKINS_KUBECONFIG_CREDENTIAL_MODE": "secret-text",
    }
    s = Settings.load(env)
    assert s.jenkins.url == "https://yaml.example/jenkins/" and s.jenkins.retries == 7
    assert s.jenkins.verify_tls is False and s.reconcile.resync_interval == 60.0
    assert s.log.format == "json" and s.log.level == "DEBUG"
    assert s.jenkins.kubeconfig_credential_mode == "secret-text"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BRIDGE_JENKINS_RETRIES": "many"}, "BRIDGE_JENKINS_RETRIES: must be an integer"),
        ({"BRIDGE_JENKINS_VERIFY_TLS": "perhaps"}, "must be true or false"),
        ({"BRIDGE_LOG_FORMAT": "xml"}, "must be one of plain, json"),
        ({"BRIDGE_SECRET_KEY": "not-a-key"}, "must be a Fernet key"),
        ({"BRIDGE_ADMIN_TOKEN": "short"}, "at least 16 characters"),
        ({"BRIDGE_JENKINS_URL": "ftp://x"}, "must start with http"),
        ({"BRIDGE_JENKINS_USER": "admin"}, "must be set together"),
        ({"BRIDGE_RECONCILE_POLL_INTERVAL": "0"}, "RECONCILE_POLL_INTERVAL must be greater than 0"),
        ({"BRIDGE_DATABASE_URL": "mysql://x"}, "sqlite:/// or postgresql"),
        ({"BRIDGE_API_MAX_BODY_BYTES": "10"}, "at least 1024"),
    ],
)
def test_invalid_settings_have_clear_messages(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Settings.load({"BRIDGE_DATA_DIR": str(tmp_path), "BRIDGE_SECRET_KEY": KEY, **env})


def test_yaml_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("jenkins: [1, 2]\nnope: 1\n")
    with pytest.raises(ConfigurationError) as e:
        Settings.load({"BRIDGE_DATA_DIR": str(tmp_path)}, config_path=bad)
    assert "unknown setting 'nope'" in e.value.detail and "'jenkins' must be a mapping" in e.value.detail
    with pytest.raises(ConfigurationError, match="cannot read"):
        Settings.load({}, config_path=tmp_path / "missing.yaml")
    (tmp_path / "broken.yaml").write_text("a: [")
    with pytest.raises(ConfigurationError, match="not valid YAML"):
        Settings.load({}, config_path=tmp_path / "broken.yaml")


def test_secrets_are_masked(tmp_path: Path) -> None:
    env = {
        "BRIDGE_DATA_DIR": str(tmp_path),
        "BRIDGE_SECRET_KEY": KEY,
        "BRIDGE_ADMIN_TOKEN": "admin-token-admin-token",
        "BRIDGE_JENKINS_USER": "admin",
        "BRIDGE_JENKINS_TOKEN": "jenkins-api-token-1234",
    }
    s = Settings.load(env)
    shown = repr(s) + str(s.masked())
    for secret in (KEY, "admin-token-admin-token", "jenkins-api-token-1234"):
        assert secret not in shown
    assert s.masked()["jenkins"]["token"] == "***" and s.masked()["jenkins"]["user"] == "admin"
    assert set(s.secrets()) == {KEY, "admin-token-admin-token", "jenkins-api-token-1234"}


def test_lists_are_lists_from_yaml_or_comma_separated_in_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "bridge.yaml"
    config.write_text("auth:\n  admin_users: [root, ops-lead]\n  token_review_audiences: [bridge]\n")
    env = {"BRIDGE_CONFIG": str(config), "BRIDGE_DATA_DIR": str(tmp_path), "BRIDGE_SECRET_KEY": KEY}
    s = Settings.load({**env, "BRIDGE_AUTH_ADMIN_GROUPS": " ops, ,sre "})
    assert s.auth.admin_users == ("root", "ops-lead") and s.auth.admin_groups == ("ops", "sre")
    assert s.auth.token_review_audiences == ("bridge",) and s.auth.proxy_client_cns == ()
    assert s.masked()["auth"]["admin_users"] == ["root", "ops-lead"]


def test_secrets_are_secret_types_that_never_print(tmp_path: Path) -> None:
    env = {
        "BRIDGE_DATA_DIR": str(tmp_path),
        "BRIDGE_SECRET_KEY": KEY,
        "BRIDGE_AUTH_PROXY_TOKEN": "p" * 40,
        "BRIDGE_JENKINS_USER": "bot",
        "BRIDGE_JENKINS_TOKEN": "jenkins-api-token-5678",
    }
    s = Settings.load(env)
    assert s.auth.proxy_token is not None and s.auth.proxy_token.get_secret_value() == "p" * 40
    assert s.jenkins.token is not None and s.jenkins.token.get_secret_value() == "jenkins-api-token-5678"
    shown = f"{s} {s!r} {s.jenkins} {s.auth!r} {s.model_dump()}"
    assert "p" * 40 not in shown and "jenkins-api-token-5678" not in shown and KEY not in shown
    assert Settings.load({**env, "BRIDGE_ADMIN_TOKEN": ""}).admin_token is None  # empty: unset


def test_one_error_lists_every_problem_from_both_sources(tmp_path: Path) -> None:
    config = tmp_path / "bridge.yaml"
    config.write_text("jenkins:\n  retries: lots\n  colour: blue\nreconcile: 5\n")
    env = {
        "BRIDGE_CONFIG": str(config),
        "BRIDGE_DATA_DIR": str(tmp_path),
        "BRIDGE_LOG_FORMAT": "xml",
        "BRIDGE_API_MAX_BODY_BYTES": "big",
    }
    with pytest.raises(ConfigurationError) as e:
        Settings.load(env)
    found = e.value.detail.removeprefix("invalid settings: ").split("; ")
    assert sorted(found) == sorted(
        [
            "jenkins.retries (YAML): must be an integer (got 'lots')",
            "unknown setting 'jenkins.colour' in the YAML file",
            "setting 'reconcile' must be a mapping in the YAML file",
            "BRIDGE_LOG_FORMAT: must be one of plain, json (got 'xml')",
            "BRIDGE_API_MAX_BODY_BYTES: must be an integer (got 'big')",
        ]
    )
