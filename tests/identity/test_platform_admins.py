"""Who is a platform admin: the configurable admin group, and only from the identity sources allowed
to assert it (``BRIDGE_AUTH_PLATFORM_ADMIN_GROUP``, ``BRIDGE_AUTH_ADMIN_SOURCES``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bridge.errors import ConfigurationError
from bridge.identity.authenticators import RequestFacts
from bridge.identity.token_review import ReviewResult
from bridge.identity.wiring import Identity, build_identity
from tests.identity.test_wiring import ADMIN, PROXY, settings

DEFAULT_GROUP = "jenkins-bridge:platform-admins"


class Reviewer:
    def __init__(self, groups: Sequence[str]) -> None:
        self.groups = tuple(groups)

    def review(self, token: str, *, audiences: Sequence[str]) -> ReviewResult:
        return ReviewResult(True, "system:serviceaccount:ci:deployer", self.groups)


def _identity(tmp_path: Path, engine: Engine, groups: Sequence[str] = (), **env: str) -> Identity:
    env = {"BRIDGE_AUTH_PROXY_TOKEN": PROXY, "BRIDGE_AUTH_TOKEN_REVIEW": "true", **env}
    return build_identity(settings(tmp_path, **env), engine, reviewer=Reviewer(groups))


def _is_admin(identity: Identity, facts: RequestFacts) -> bool:
    return identity.policy.grants(identity.authenticator.authenticate(facts)).platform_admin


def _via_token(identity: Identity, group: str) -> RequestFacts:
    return RequestFacts(bearer=identity.tokens.create(user="t", groups=(group,), created_by="t").token)


def test_the_admin_group_is_configurable(tmp_path: Path, engine: Engine) -> None:
    identity = _identity(tmp_path, engine, BRIDGE_AUTH_PLATFORM_ADMIN_GROUP="corp:bridge-admins")
    assert _is_admin(identity, _via_token(identity, "corp:bridge-admins"))
    assert not _is_admin(identity, _via_token(identity, DEFAULT_GROUP)), "the old name is no admin group now"
    proxy = RequestFacts(proxy_token=PROXY, remote_user="p", remote_groups=("corp:bridge-admins",))
    assert _is_admin(identity, proxy)
    assert not _is_admin(
        identity, RequestFacts(proxy_token=PROXY, remote_user="p", remote_groups=(DEFAULT_GROUP,))
    )


def test_token_review_groups_make_no_admin_unless_allowed(tmp_path: Path, engine: Engine) -> None:
    """Cluster groups are managed outside the bridge (client-certificate O=, OIDC claims): by default a
    reviewed token never becomes a platform admin, whatever groups or name it carries."""
    identity = _identity(
        tmp_path,
        engine,
        groups=[DEFAULT_GROUP, "ops"],
        BRIDGE_AUTH_ADMIN_GROUPS="ops",
        BRIDGE_AUTH_ADMIN_USERS="system:serviceaccount:ci:deployer",
    )
    assert not _is_admin(identity, RequestFacts(bearer="eyJ.reviewed.token"))
    allowed = _identity(
        tmp_path, engine, groups=[DEFAULT_GROUP], BRIDGE_AUTH_ADMIN_SOURCES="api-token,proxy,token-review"
    )
    assert _is_admin(allowed, RequestFacts(bearer="eyJ.reviewed.token"))


def test_sources_can_be_narrowed_and_the_bootstrap_token_stays_admin(tmp_path: Path, engine: Engine) -> None:
    identity = _identity(tmp_path, engine, BRIDGE_AUTH_ADMIN_SOURCES="api-token")
    forged = RequestFacts(proxy_token=PROXY, remote_user="mallory", remote_groups=(DEFAULT_GROUP,))
    assert not _is_admin(identity, forged)
    assert _is_admin(identity, _via_token(identity, DEFAULT_GROUP))
    assert _is_admin(identity, RequestFacts(bearer=ADMIN))


@pytest.mark.parametrize(
    ("name", "value"),
    [("BRIDGE_AUTH_ADMIN_SOURCES", "api-token,bootstrap"), ("BRIDGE_AUTH_PLATFORM_ADMIN_GROUP", " ")],
)
def test_bad_admin_settings_are_refused(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=name.removeprefix("BRIDGE_")):
        settings(tmp_path, **{name: value})
