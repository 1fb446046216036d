"""Named Jenkins controllers in the settings: the JSON environment form and the YAML form, which
controller serves which cluster, secrets masked and redacted, and every mistake reported at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bridge.errors import ConfigurationError
from bridge.settings import Settings
from tests.fixtures.app import make_settings

EAST = {"url": "https://bot:url-pa55@jenkins-east.example/", "user": "bot", "token": "east-token-value"}


def test_controllers_from_json_serve_their_clusters_and_the_default_the_rest(tmp_path: Path) -> None:
    s = make_settings(
        tmp_path,
        BRIDGE_CONTROLLERS=json.dumps({"east": {**EAST, "clusters": ["rohan", "gondor"], "retries": 1}}),
    )
    controllers = s.controllers()
    assert list(controllers) == ["default", "east"]
    east = controllers["east"]
    assert (east.url, east.user, east.retries) == (EAST["url"], "bot", 1)
    assert east.attribution == s.jenkins.attribution  # what is not per controller is shared
    assert [s.controller_for(c) for c in ("rohan", "gondor", "shire")] == ["east", "east", "default"]
    masked = s.masked()["controllers"]["east"]
    assert masked["token"] == "***" and "url-pa55" not in masked["url"]
    assert "east-token-value" not in repr(s) and "url-pa55" not in repr(s)
    assert {"east-token-value", "url-pa55"} <= set(s.secrets())


def test_controllers_from_yaml_and_a_default_serving_named_clusters_only(tmp_path: Path) -> None:
    config = tmp_path / "bridge.yaml"
    config.write_text(
        "controllers:\n  west:\n    url: http://jenkins-west/\n    clusters: [shire]\n"
        "clusters:\n  jenkins: gondor\n"
    )
    s = make_settings(tmp_path, BRIDGE_CONFIG=str(config))
    assert [s.controller_for(c) for c in ("shire", "gondor", "rohan")] == ["west", "default", None]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('{"east": ', "BRIDGE_CONTROLLERS must be a JSON object"),
        ('{"east": {"uri": "http://x/"}}', "BRIDGE_CONTROLLERS: east.url: Field required"),
    ],
)
def test_unreadable_controllers(tmp_path: Path, value: str, expected: str) -> None:
    with pytest.raises(ConfigurationError, match=expected):
        make_settings(tmp_path, BRIDGE_CONTROLLERS=value)


def test_every_controller_problem_is_reported_at_once(tmp_path: Path) -> None:
    bad = {
        "default": {"url": "http://x/"},
        "East_1": {"url": "ftp://east/", "user": "bot", "clusters": ["rohan"]},
        "west": {"url": "http://west/", "clusters": ["rohan", "gondor"], "timeout": 0},
    }
    with pytest.raises(ConfigurationError) as caught:
        make_settings(tmp_path, BRIDGE_CONTROLLERS=json.dumps(bad), BRIDGE_CLUSTERS_JENKINS="gondor")
    detail = caught.value.detail
    for expected in (
        "the name 'default' is the controller of BRIDGE_JENKINS_*",
        "'East_1']: a controller name must be a DNS-1123 label",
        "'East_1'].url must start with http:// or https://",
        "'East_1'].user and .token must be set together",
        "cluster 'rohan' is already served by controller 'East_1'",
        "cluster 'gondor' is already served by controller 'default'",
        "'west'].timeout must be greater than 0",
    ):
        assert expected in detail, detail


def test_leases_need_postgresql_and_a_ttl_of_two_renewals(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make_settings(
            tmp_path,
            BRIDGE_RECONCILE_LEASES="true",
            BRIDGE_RECONCILE_LEASE_TTL="5",
            BRIDGE_RECONCILE_LEASE_RENEW="3",
        )
    assert "BRIDGE_RECONCILE_LEASES needs PostgreSQL" in caught.value.detail
    assert "LEASE_TTL must be at least twice" in caught.value.detail
    assert (
        Settings.load({"BRIDGE_DATA_DIR": str(tmp_path), "BRIDGE_RECONCILE_LEASES": "false"}).reconcile.leases
        is False
    )
