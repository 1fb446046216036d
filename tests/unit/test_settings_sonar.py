"""The SonarQube of a Jenkins controller: URL, token (a secret) and timeout in ``JenkinsSettings``."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bridge.errors import ConfigurationError
from bridge.settings import Settings

KEY = Fernet.generate_key().decode()
TOKEN = "squ_settings_token_0123456789abcdef"


def test_the_controllers_sonarqube_with_a_masked_token(tmp_path: Path) -> None:
    env = {
        "BRIDGE_DATA_DIR": str(tmp_path),
        "BRIDGE_SECRET_KEY": KEY,
        "BRIDGE_JENKINS_SONAR_URL": "https://sonarqube.example.com/",
        "BRIDGE_JENKINS_SONAR_TOKEN": TOKEN,
    }
    s = Settings.load(env)
    sonar = s.controllers()["default"]
    assert sonar.sonar_url == "https://sonarqube.example.com/" and sonar.sonar_timeout == 10.0
    assert sonar.sonar_token is not None and sonar.sonar_token.get_secret_value() == TOKEN
    assert s.masked()["jenkins"]["sonar_token"] == "***"
    assert TOKEN not in f"{s!r} {s.masked()} {s.jenkins}"
    assert TOKEN in s.secrets()  # redacted from logs
    assert (
        Settings.load({"BRIDGE_DATA_DIR": str(tmp_path), "BRIDGE_SECRET_KEY": KEY}).jenkins.sonar_url is None
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("BRIDGE_JENKINS_SONAR_URL", "sonarqube:9000", "BRIDGE_JENKINS_SONAR_URL must start with http://"),
        ("BRIDGE_JENKINS_SONAR_TIMEOUT", "0", "BRIDGE_JENKINS_SONAR_TIMEOUT must be greater than 0"),
    ],
)
def test_bad_values_are_named(tmp_path: Path, name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Settings.load({"BRIDGE_DATA_DIR": str(tmp_path), "BRIDGE_SECRET_KEY": KEY, name: value})
