"""Passwords inside URL settings (database, Jenkins) never reach repr, masked() or the start-up log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet

from bridge.cli.serve import serve
from bridge.errors import ConfigurationError
from bridge.log import SECRETS
from bridge.settings import Settings, mask_url_password
from tests.fixtures.leaks import known_secrets

DB_PASSWORD = "hunter2pass"
JENKINS_PASSWORD = "jenkins-url-pw/9"  # percent-encoded in the URL


def env(tmp_path: Path) -> dict[str, str]:
    return {
        "BRIDGE_DATA_DIR": str(tmp_path),
        "BRIDGE_SECRET_KEY": Fernet.generate_key().decode(),
        "BRIDGE_DATABASE_URL": f"postgresql+psycopg://u:{DB_PASSWORD}@db/x",
        "BRIDGE_JENKINS_URL": "https://robot:jenkins-url-pw%2F9@jenkins.example:8443/ci/",
    }


def test_masked_and_repr_hide_url_passwords_but_keep_the_rest(tmp_path: Path) -> None:
    s = Settings.load(env(tmp_path))
    shown = repr(s) + str(s.masked()) + repr(s.jenkins)
    for secret in (DB_PASSWORD, JENKINS_PASSWORD, "jenkins-url-pw%2F9"):
        assert secret not in shown
    assert s.masked()["database_url"] == "postgresql+psycopg://u:***@db/x"
    assert s.masked()["jenkins"]["url"] == "https://robot:***@jenkins.example:8443/ci/"
    assert s.database_url.endswith(f":{DB_PASSWORD}@db/x")  # the real value is untouched


def test_url_passwords_are_registered_for_redaction(tmp_path: Path) -> None:
    s = Settings.load(env(tmp_path))
    assert {DB_PASSWORD, JENKINS_PASSWORD, "jenkins-url-pw%2F9"} <= set(s.secrets())


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////var/lib/bridge.db", "sqlite:////var/lib/bridge.db"),
        ("postgresql+psycopg://u@db/x", "postgresql+psycopg://u@db/x"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/"),
        ("http://only-user@jenkins/", "http://only-user@jenkins/"),
        ("postgresql://u:p%40ss@db:5433/x?sslmode=require", "postgresql://u:***@db:5433/x?sslmode=require"),
    ],
)
def test_mask_url_password(url: str, expected: str) -> None:
    assert mask_url_password(url) == expected


def test_serve_start_log_never_shows_url_passwords(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for name, value in env(tmp_path).items():
        monkeypatch.setenv(name, value)

    def stop_after_the_settings_line(settings: Settings) -> None:
        raise ConfigurationError("stop here")

    monkeypatch.setattr("bridge.bootstrap.build_container", stop_after_the_settings_line)
    with caplog.at_level(logging.INFO):
        result = CliRunner().invoke(serve, [])
    assert "stop here" in result.output
    start_lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("settings:")]
    assert start_lines and "u:***@db/x" in start_lines[0]
    for record in caplog.records:
        assert DB_PASSWORD not in record.getMessage()
        assert JENKINS_PASSWORD not in record.getMessage()
    # The session-wide leak detector (tests/fixtures/leaks.py) now knows both passwords.
    assert {DB_PASSWORD, JENKINS_PASSWORD} <= known_secrets()
    assert SECRETS.redact(f"connect to u:{DB_PASSWORD}@db failed") == "connect to u:***@db failed"
