"""The client address of audit entries: the peer's, or with ``BRIDGE_API_TRUSTED_PROXY_HOPS`` the one the
trusted reverse proxies appended to ``X-Forwarded-For`` (never what the client itself wrote there)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.app import create_app
from bridge.bootstrap import build_container
from bridge.errors import ConfigurationError
from tests.fixtures.app import ApiClient, make_settings


def _addresses(tmp_path: Path, hops: int, forwarded: str) -> tuple[str, str]:
    container = build_container(make_settings(tmp_path, BRIDGE_API_TRUSTED_PROXY_HOPS=str(hops)))
    try:
        api = ApiClient(create_app(container=container).test_client())
        headers = {"X-Forwarded-For": forwarded, "X-Forwarded-Proto": "https"}
        r = api.post(
            "/api/v1/workspaces", {"name": "ws"}, headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.9"}
        )
        assert r.status_code == 201
        entry = api.get("/api/v1/audit").json["items"][0]
        return entry["address"], r.headers.get("Strict-Transport-Security", "")
    finally:
        container.close()


def test_without_trusted_proxies_the_peer_address_counts(tmp_path: Path) -> None:
    address, hsts = _addresses(tmp_path, 0, "198.51.100.1")
    assert address == "10.0.0.9" and hsts == ""


def test_one_trusted_proxy_gives_the_address_it_appended(tmp_path: Path) -> None:
    address, hsts = _addresses(tmp_path, 1, "198.51.100.1, 203.0.113.7")  # the client forged the first
    assert address == "203.0.113.7"
    assert hsts.startswith("max-age="), "the proxy's X-Forwarded-Proto makes the request https"


def test_the_hop_count_is_bounded(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="TRUSTED_PROXY_HOPS"):
        make_settings(tmp_path, BRIDGE_API_TRUSTED_PROXY_HOPS="-1")
