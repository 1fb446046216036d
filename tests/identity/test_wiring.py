"""Settings choose the authentication modes; the proxy credential is validated and masked."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bridge.errors import ConfigurationError, Unauthenticated
from bridge.identity.authenticators import RequestFacts
from bridge.identity.principal import AuthSource
from bridge.identity.wiring import build_identity
from bridge.settings import Settings

ADMIN = "admin-token-for-wiring-tests-0123"
PROXY = "p" * 40


def settings(tmp_path: Path, **env: str) -> Settings:
    base = {
        "BRIDGE_DATA_DIR": str(tmp_path),
        "BRIDGE_SECRET_KEY": Fernet.generate_key().decode(),
        "BRIDGE_ADMIN_TOKEN": ADMIN,
    }
    return Settings.load({**base, **env})


def test_proxy_token_is_secret_and_must_be_long(tmp_path: Path) -> None:
    s = settings(tmp_path, BRIDGE_AUTH_PROXY_TOKEN=PROXY)
    assert PROXY not in repr(s) and s.masked()["auth"]["proxy_token"] == "***"
    assert PROXY in s.secrets()
    with pytest.raises(ConfigurationError, match="AUTH_PROXY_TOKEN"):
        settings(tmp_path, BRIDGE_AUTH_PROXY_TOKEN="short")


def test_default_modes_bootstrap_and_api_tokens_no_proxy(tmp_path: Path, engine) -> None:
    identity = build_identity(settings(tmp_path), engine)
    assert identity.authenticator.authenticate(RequestFacts(bearer=ADMIN)).source is AuthSource.BOOTSTRAP
    token = identity.tokens.create(user="alice", created_by="t").token
    assert identity.authenticator.authenticate(RequestFacts(bearer=token)).name == "alice"
    with pytest.raises(Unauthenticated):  # proxy mode is off: its header is refused, not trusted
        identity.authenticator.authenticate(RequestFacts(proxy_token=PROXY, remote_user="alice"))
    with pytest.raises(Unauthenticated):  # no TokenReview: a foreign bearer is just invalid
        identity.authenticator.authenticate(RequestFacts(bearer="eyJhbGciOi.x.y"))


def test_api_tokens_can_be_switched_off(tmp_path: Path, engine) -> None:
    identity = build_identity(settings(tmp_path, BRIDGE_AUTH_API_TOKENS="false"), engine)
    token = identity.tokens.create(user="alice", created_by="t").token
    with pytest.raises(Unauthenticated):
        identity.authenticator.authenticate(RequestFacts(bearer=token))


def test_proxy_by_client_certificate_cn(tmp_path: Path, engine) -> None:
    identity = build_identity(settings(tmp_path, BRIDGE_AUTH_PROXY_CLIENT_CNS="console, console-2"), engine)
    p = identity.authenticator.authenticate(RequestFacts(client_cert_cn="console-2", remote_user="bob"))
    assert (p.name, p.source) == ("bob", AuthSource.PROXY)


def test_admin_users_and_groups_from_settings(tmp_path: Path, engine) -> None:
    identity = build_identity(
        settings(tmp_path, BRIDGE_AUTH_ADMIN_USERS="root", BRIDGE_AUTH_ADMIN_GROUPS="ops"), engine
    )
    for user, groups in (("root", ()), ("x", ("ops",))):
        token = identity.tokens.create(user=user, groups=groups, created_by="t").token
        assert identity.policy.grants(
            identity.authenticator.authenticate(RequestFacts(bearer=token))
        ).platform_admin
    token = identity.tokens.create(user="y", created_by="t").token
    assert not identity.policy.grants(
        identity.authenticator.authenticate(RequestFacts(bearer=token))
    ).platform_admin
