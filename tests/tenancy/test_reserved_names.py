"""Names reserved in Jenkins (case-insensitive ids): refused as binding subjects (400) and as users
acting in Jenkins in ``user-token`` mode (403); never granted anything in a folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import insert

from bridge.adapters.jenkins.client import JenkinsAdapter
from bridge.adapters.jenkins.configxml import folder_grants
from bridge.adapters.jenkins.runs import JenkinsRuns, connect_runs
from bridge.adapters.jenkins.usertokens import UserTokens
from bridge.bootstrap import Container, build_connections
from bridge.errors import ConfigurationError, Forbidden
from bridge.identity.roles import Role
from bridge.identity.tables import role_bindings
from bridge.identity.tenancy import Member, ReservedNames
from bridge.identity.token_store import utcnow
from bridge.identity.wiring import reserved_names
from bridge.reconcile.render import project_grants
from bridge.sandbox.jenkins import SandboxJenkins
from bridge.settings import Settings
from bridge.store.jenkins_tokens import JenkinsTokenStore
from tests.attribution.conftest import (  # the two fixtures are used by name
    ADMIN_CAN_GENERATE,
    actor,
    create_pipeline,
    service_adapter,
    start_jenkins,  # noqa: F401
    vault,  # noqa: F401
)
from tests.fixtures.app import ApiClient, make_settings
from tests.fixtures.leaks import register_secret

P = "/api/v1/projects"
W = "/api/v1/workspaces"
BRIDGE_TOKEN = "bridge-service-token-0123456789"
RESERVED = [
    "JENKINS-ADMIN",
    "Bridge-Svc",
    "system",
    "Anonymous",
    "AUTHENTICATED",
    "JB-Project-other",
    "jb-project-",
]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    register_secret(BRIDGE_TOKEN)
    return make_settings(
        tmp_path,
        BRIDGE_JENKINS_USER="bridge-svc",
        BRIDGE_JENKINS_TOKEN=BRIDGE_TOKEN,
        BRIDGE_JENKINS_RESERVED_USERS="jenkins-admin, ops-root",
    )


@pytest.fixture
def project(api: ApiClient) -> str:
    assert api.post(W, {"name": "ws"}).status_code == 201
    assert api.post(P, {"name": "demo", "workspace": "ws"}).status_code == 201
    return "demo"


@pytest.mark.parametrize("subject", RESERVED)
@pytest.mark.parametrize("kind", ["user", "group"])
def test_reserved_names_are_refused_as_members(api: ApiClient, project: str, subject: str, kind: str) -> None:
    for path in (f"{P}/{project}/members", f"{W}/ws/members"):
        response = api.post(path, {"kind": kind, "subject": subject, "role": "viewer"})
        assert response.status_code == 400, (path, response.json)
        assert response.headers["Content-Type"].startswith("application/problem+json")
        assert "reserved" in response.json["detail"]
    assert api.get(f"{P}/{project}/members").json["items"] == []


def test_free_names_are_still_granted(api: ApiClient, project: str) -> None:
    for subject in ("alice", "jb-projects-fan", "admins"):
        response = api.post(f"{P}/{project}/members", {"subject": subject, "role": "viewer"})
        assert response.status_code == 200, response.json


def test_the_reserved_list_comes_from_settings(settings: Settings) -> None:
    reserved = reserved_names(settings.jenkins)
    assert {n for n in ("OPS-ROOT", "Jenkins-Admin", "BRIDGE-SVC", "jb-project-x") if reserved.reason(n)} == {
        "OPS-ROOT",
        "Jenkins-Admin",
        "BRIDGE-SVC",
        "jb-project-x",
    }
    assert reserved.reason("admin") is None  # the default list was replaced by the setting


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BRIDGE_JENKINS_PROJECT_IDENTITY_PREFIX": "bad prefix"}, "PROJECT_IDENTITY_PREFIX must be"),
        ({"BRIDGE_JENKINS_PROJECT_IDENTITY_PREFIX": ""}, "PROJECT_IDENTITY_PREFIX must be"),
        (
            {
                "BRIDGE_JENKINS_USER": "ci-bridge",
                "BRIDGE_JENKINS_TOKEN": "t" * 20,
                "BRIDGE_JENKINS_PROJECT_IDENTITY_PREFIX": "CI-",
            },
            "matches the configured account 'ci-bridge'",
        ),
        ({"BRIDGE_JENKINS_RESERVED_USERS": "admin,jb-project-root"}, "matches the configured account"),
    ],
)
def test_a_prefix_that_could_name_another_account_is_refused(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make_settings(tmp_path, **env)


def test_stored_bindings_of_reserved_names_grant_nothing_in_jenkins(
    container: Container, api: ApiClient, project: str
) -> None:
    """A binding stored before its name became reserved (an upgrade, a changed setting) is not rendered."""
    with container.store.engine.begin() as conn:
        for subject in ("alice", "Jenkins-Admin", "jb-project-other"):
            conn.execute(
                insert(role_bindings).values(
                    scope="project",
                    scope_name=project,
                    subject_kind="user",
                    subject=subject,
                    role="admin",
                    created_at=utcnow(),
                    created_by="old",
                )
            )
    reserved = reserved_names(container.settings.jenkins)
    grants = project_grants(container.desired, project, prefix="jb-project-", reserved=reserved)
    assert grants == folder_grants("jb-project-demo", [Member(False, "alice", Role.ADMIN)])
    assert api.delete(f"{P}/{project}/members/user/Jenkins-Admin").status_code == 204  # still removable


@pytest.fixture
def token_runs(start_jenkins, vault):  # type: ignore[no-untyped-def]  # noqa: F811
    j: SandboxJenkins = start_jenkins(system_properties=ADMIN_CAN_GENERATE)
    create_pipeline(j, requested_by=False)
    service = service_adapter(j)

    def connect(user: str, token: str) -> JenkinsAdapter:
        return JenkinsAdapter.connect(j.url, user=user, token=token, retries=0)

    reserved = ReservedNames.of(
        prefix="jb-project-", service_account="bridge-svc", reserved=["jenkins-admin"]
    )
    return j, JenkinsRuns(
        service, mode="user-token", tokens=UserTokens(service, vault, connect, reserved=reserved)
    )


@pytest.mark.parametrize("user", ["Jenkins-Admin", "BRIDGE-SVC", "system", "ANONYMOUS", "jb-project-app"])
def test_user_token_mode_refuses_reserved_users_before_touching_jenkins(token_runs, user: str) -> None:  # type: ignore[no-untyped-def]
    j, runs = token_runs
    with pytest.raises(Forbidden, match="reserved"):
        runs.trigger_run("app", {}, actor(user))
    assert not j.state.extensions.get("usertokens.minted")  # no token was minted for anyone


def test_user_token_mode_from_settings_uses_the_reserved_list(
    tmp_path: Path,
    vault: JenkinsTokenStore,  # noqa: F811
) -> None:
    settings = make_settings(
        tmp_path,
        BRIDGE_JENKINS_USER="bridge-svc",
        BRIDGE_JENKINS_TOKEN=BRIDGE_TOKEN,
        BRIDGE_JENKINS_ATTRIBUTION="user-token",
        BRIDGE_JENKINS_RESERVED_USERS="ops-root",
    )
    runs = connect_runs(build_connections(settings)["default"], settings.jenkins, vault)
    for user in ("OPS-ROOT", "Bridge-Svc", "jb-project-x"):
        with pytest.raises(Forbidden, match="reserved"):
            runs.trigger_run("app", {}, actor(user))
