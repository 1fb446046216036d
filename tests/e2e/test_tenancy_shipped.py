"""Jenkins-side tenancy proven with the REAL bridge against a sandbox started from the SHIPPED
``jenkins-config/casc/jenkins.yaml``: the bridge's account is the casc's ``jenkins-bridge`` user
(Overall/Administer there), ``team-a`` and ``team-b`` live in different workspaces, members are bound
through the API, and everything in Jenkins (identities, folders, matrices, jobs, credentials) is made by
the worker. Each attack of issue 8 is run through the bridge's own run API, in both attribution modes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jenkins as pyjenkins
import pytest
import requests

from bridge.bootstrap import Container
from bridge.identity.attribution import Actor
from bridge.identity.token_store import TokenStore
from bridge.sandbox.jenkins import SandboxJenkins, UserSpec, nodes
from bridge.sandbox.jenkins.buildstate import SIMULATION
from bridge.sandbox.jenkins.pipeline import Simulation
from bridge.settings import Settings
from bridge.store.jenkins_tokens import JenkinsTokenStore
from tests.e2e.conftest import P, Stack, jenkins_env
from tests.fixtures.app import ApiClient, make_settings
from tests.fixtures.leaks import register_secret
from tests.fixtures.sandbox import (
    SHIPPED_BRIDGE_TOKEN,
    SHIPPED_BRIDGE_USER,
    SHIPPED_CASC,
    SHIPPED_MOUNTS,
    SandboxFactory,
    created_users,
)
from tests.waiting import wait_until

W = "/api/v1/workspaces"
SEED = (Path(__file__).resolve().parents[1] / "sandbox" / "data" / "seed-multicluster.Jenkinsfile").read_text(
    encoding="utf-8"
)
SEED_JOB = "build-and-deploy-application"
ADMIN_PASSWORD = "shipped-admin-Pa55-from-a-file"
KUBECONFIGS = {
    c: f"apiVersion: v1\nkind: Config\n# {c}-kubeconfig-e2e-secret" for c in ("rohan", "gondor", "shire")
}
A_CREDENTIALS: dict[str, tuple[str, dict[str, str]]] = {
    "dockerhub-id": ("basic-auth", {"username": "docker-bot", "password": "d0cker-e2e-Pa55word"}),
    "sonar-token": ("secret-text", {"secret": "sq-e2e-team-a-t0ken-1234"}),
    **{c: ("kubeconfig", {"content": v}) for c, v in KUBECONFIGS.items()},
}
B_SECRET = "team-b-only-e2e-s3cret-9876"
SECRETS = [B_SECRET, *KUBECONFIGS.values()] + [
    v for _, data in A_CREDENTIALS.values() for k, v in data.items() if k == "password" or k == "secret"
]
MAVEN = "node('maven') {\n  withCredentials([string(credentialsId: '%s', variable: 'T')]) { sh 'echo $T' }\n}"
TEAM_A_PIPELINES = {
    "hop": "build job: '/team-b/deploy', parameters: [string(name: 'BRIDGE_REQUESTED_BY', value: 'mallory')]",
    "peek": MAVEN % "b-token",
    "own": MAVEN % "sonar-token",
    "steal": "node('built-in') { sh 'env; cat $JENKINS_HOME/secrets/master.key' }",
    SEED_JOB: SEED,
}


@pytest.fixture(params=["parameter", "user-token"])
def attribution(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sandbox_jenkins(sandbox_jenkins_factory: SandboxFactory, tmp_path: Path) -> SandboxJenkins:
    """The shipped casc with its secrets as files and the image's JVM option (``jenkins-config/Dockerfile``)
    that lets the bridge mint users' API tokens; ``alice`` and ``bob`` are realm users (they signed in)."""
    secrets = tmp_path / "jenkins-secrets"
    secrets.mkdir()
    (secrets / "jenkins-admin-password").write_text(ADMIN_PASSWORD + "\n", encoding="utf-8")
    (secrets / "bridge-jenkins-password").write_text("shipped-bridge-Pa55\n", encoding="utf-8")
    j: SandboxJenkins = sandbox_jenkins_factory(
        casc=SHIPPED_CASC,
        casc_environ={"BRIDGE_JENKINS_USER": SHIPPED_BRIDGE_USER, "JENKINS_ADMIN_PASSWORD": ADMIN_PASSWORD},
        secrets_dir=secrets,
        admin_user=SHIPPED_BRIDGE_USER,
        admin_token=SHIPPED_BRIDGE_TOKEN,
        users=[
            UserSpec(u, password=f"{u}-pw-1", tokens=(f"{u}-own-api-token",))
            for u in ("alice", "bob", "carol")
        ],
        system_properties={"jenkins.security.ApiTokenProperty.adminCanGenerateNewTokens": "true"},
        mounts=SHIPPED_MOUNTS,
    )
    j.services[SIMULATION] = Simulation(time_scale=0)
    return j


@pytest.fixture
def kubeconfig_mode(request: pytest.FixtureRequest) -> str:
    """``BRIDGE_JENKINS_KUBECONFIG_CREDENTIAL_MODE``: the default unless a test parametrizes it."""
    return str(getattr(request, "param", "file"))


@pytest.fixture
def settings(
    tmp_path: Path, sandbox_jenkins: SandboxJenkins, attribution: str, kubeconfig_mode: str
) -> Settings:
    register_secret(sandbox_jenkins.admin_token, ADMIN_PASSWORD, *SECRETS)
    return make_settings(
        tmp_path,
        BRIDGE_JENKINS_ATTRIBUTION=attribution,
        BRIDGE_JENKINS_KUBECONFIG_CREDENTIAL_MODE=kubeconfig_mode,
        **jenkins_env(sandbox_jenkins),
    )


def _as(stack: Stack, container: Container, user: str) -> ApiClient:
    token = TokenStore(container.store.engine).create(user=user, groups=(), created_by="test").token
    register_secret(token)
    return ApiClient(stack.api.client, token=token)


@pytest.fixture
def people(stack: Stack, container: Container) -> dict[str, ApiClient]:
    """team-a (workspace ws-a, admin alice) and team-b (ws-b, admin bob), provisioned by the worker."""
    api = stack.api
    for ws, project, member in (("ws-a", "team-a", "alice"), ("ws-b", "team-b", "bob")):
        assert api.post(W, {"name": ws}).status_code == 201
        assert api.post(P, {"name": project, "workspace": ws}).status_code == 201
        r = api.post(f"{P}/{project}/members", {"subject": member, "role": "admin"})
        assert r.status_code == 200, r.json
    people = {user: _as(stack, container, user) for user in ("alice", "bob")}
    alice, bob = people["alice"], people["bob"]
    # what the seed's user does: its credentials and pipelines, through the API
    for cid, (kind, data) in A_CREDENTIALS.items():
        r = alice.post(f"{P}/team-a/credentials", {"id": cid, "type": kind, "data": data})
        assert r.status_code == 201, r.json
    for name, script in TEAM_A_PIPELINES.items():
        r = alice.post(f"{P}/team-a/pipelines", {"name": name, "jenkinsfile": script})
        assert r.status_code == 201, r.json
    r = bob.post(
        f"{P}/team-b/credentials", {"id": "b-token", "type": "secret-text", "data": {"secret": B_SECRET}}
    )
    assert r.status_code == 201, r.json
    r = bob.post(f"{P}/team-b/pipelines", {"name": "deploy", "jenkinsfile": MAVEN % "b-token"})
    assert r.status_code == 201, r.json

    result = stack.worker.poll()
    assert result is not None and not result.errors, result
    assert sorted(created_users(stack.sandbox)) == ["jb-project-team-a", "jb-project-team-b"], (
        "created by the bridge, once each"
    )
    assert stack.sync("/team-a")["status"] == "synced" and stack.sync("/team-b")["status"] == "synced"
    return people


def _run(stack: Stack, client: ApiClient, path: str) -> int:
    """Start ``project/pipeline`` through the bridge's API; the build number Jenkins gives it."""
    project, pipeline = path.split("/")
    before = stack.jenkins.get_job_info(path)["nextBuildNumber"]
    r = client.post(f"{P}/{project}/pipelines/{pipeline}/runs", {})
    assert r.status_code == 202, r.json
    return int(before)


def _finished(stack: Stack, path: str, number: int) -> tuple[str, str]:
    def done() -> dict[str, Any] | None:
        info: dict[str, Any] = stack.jenkins.get_build_info(path, number)
        return info if info.get("result") else None

    info = wait_until(done, what=f"{path} #{number} to finish", retry_on=(pyjenkins.JenkinsException,))
    return str(info["result"]), stack.jenkins.get_build_console_output(path, number)


def _builds(stack: Stack, path: str) -> int:
    with stack.sandbox.state.lock:
        return len(stack.sandbox.state.find_item(path).builds)  # type: ignore[union-attr]


def _identity(stack: Stack, path: str, number: int) -> str:
    with stack.sandbox.state.lock:
        build = stack.sandbox.state.find_item(path).builds[number]  # type: ignore[union-attr]
        return str(build.identity.name)


def _jenkins_as(stack: Stack, container: Container, user: str, attribution: str) -> requests.Session:
    """A session acting in Jenkins as ``user``: in user-token mode with the API token the bridge minted
    for them (its only copy is in the store), otherwise with a token of their own."""
    s = requests.Session()
    if attribution == "user-token":
        stored = JenkinsTokenStore(container.store.engine, container.store.box).get(user)
        assert stored is not None, "the bridge minted a token for the user's first run"
        s.auth = (user, stored.token)
    else:  # an API token of their own (a password would need a crumb for every POST)
        s.auth = (user, f"{user}-own-api-token")
    return s


def test_a_cross_project_build_step_fails_and_team_b_never_runs(
    stack: Stack, people: dict[str, ApiClient], attribution: str
) -> None:
    number = _run(stack, people["alice"], "team-a/hop")
    result, console = _finished(stack, "team-a/hop", number)
    assert result == "FAILURE", console
    assert "ERROR: No item named /team-b/deploy found" in console  # the project identity cannot see team-b
    assert _builds(stack, "team-b/deploy") == 0
    assert _identity(stack, "team-a/hop", number) == "jb-project-team-a"
    # nor can a caller forge the attribution parameter through the bridge
    r = people["alice"].post(f"{P}/team-a/pipelines/own/runs", {"parameters": {"BRIDGE_REQUESTED_BY": "bob"}})
    assert r.status_code == 400, r.json
    # the bridge does not let alice start team-b's job either (invisible: 404)
    assert people["alice"].post(f"{P}/team-b/pipelines/deploy/runs", {}).status_code == 404
    assert _builds(stack, "team-b/deploy") == 0


def test_only_the_own_project_credentials_bind(
    stack: Stack, people: dict[str, ApiClient], attribution: str
) -> None:
    number = _run(stack, people["alice"], "team-a/peek")
    result, console = _finished(stack, "team-a/peek", number)
    assert result == "FAILURE", console
    assert "Could not find credentials entry with ID 'b-token'" in console
    assert B_SECRET not in console
    number = _run(stack, people["alice"], "team-a/own")
    result, console = _finished(stack, "team-a/own", number)
    assert result == "SUCCESS", console
    assert "+ echo ****" in console and "Running on maven-" in console
    # team-b's own job binds its credential
    number = _run(stack, people["bob"], "team-b/deploy")
    result, console = _finished(stack, "team-b/deploy", number)
    assert result == "SUCCESS", console
    assert "+ echo ****" in console and B_SECRET not in console


def test_the_built_in_node_never_runs_a_team_a_build(
    stack: Stack, people: dict[str, ApiClient], attribution: str
) -> None:
    path = "team-a/steal"
    number = _run(stack, people["alice"], path)

    def waiting() -> str | None:
        text = stack.jenkins.get_build_console_output(path, number)
        return text if "Still waiting to schedule task" in text else None

    text = wait_until(
        waiting, what="the build to wait for the built-in node", retry_on=(pyjenkins.JenkinsException,)
    )
    assert "Waiting for next available executor" in text
    assert stack.jenkins.get_build_info(path, number)["building"] is True
    stack.jenkins.stop_build(path, number)
    result, console = _finished(stack, path, number)
    assert result == "ABORTED"
    with stack.sandbox.state.lock:
        master_key = nodes._master_key(stack.sandbox.state)
    for secret in (master_key, ADMIN_PASSWORD, SHIPPED_BRIDGE_TOKEN):
        assert secret not in console
    assert "+ env" not in console and "JENKINS_ADMIN_PASSWORD" not in console


def test_a_team_a_user_cannot_see_build_or_replay_team_b_and_loses_team_a_when_removed(
    stack: Stack, container: Container, people: dict[str, ApiClient], attribution: str
) -> None:
    own = _run(stack, people["alice"], "team-a/own")  # alice's first run (user-token: mints her token)
    assert _finished(stack, "team-a/own", own)[0] == "SUCCESS"
    theirs = _run(stack, people["bob"], "team-b/deploy")
    assert _finished(stack, "team-b/deploy", theirs)[0] == "SUCCESS"

    alice = _jenkins_as(stack, container, "alice", attribution)
    url = stack.sandbox.url
    assert alice.get(url + "job/team-a/job/own/api/json").status_code == 200
    for path in ("job/team-b/api/json", "job/team-b/job/deploy/api/json", "job/team-b/job/deploy/config.xml"):
        assert alice.get(url + path).status_code == 404, path
    for path in (
        "job/team-b/job/deploy/build",
        "job/team-b/job/deploy/buildWithParameters",
        f"job/team-b/job/deploy/{theirs}/replay/rebuild",
    ):
        assert alice.post(url + path).status_code == 404, path
    assert [x["name"] for x in alice.get(url + "api/json").json()["jobs"]] == ["team-a"]
    assert _builds(stack, "team-b/deploy") == 1

    # removed through the bridge: the folder grant goes with the next poll
    assert stack.api.delete(f"{P}/team-a/members/user/alice").status_code == 204
    assert alice.get(url + "job/team-a/job/own/api/json").status_code == 200  # not yet reconciled
    result = stack.worker.poll()
    assert result is not None and not result.errors
    assert alice.get(url + "job/team-a/job/own/api/json").status_code == 404
    assert alice.post(url + "job/team-a/job/own/build").status_code == 404
    assert alice.get(url + "api/json").json()["jobs"] == []


# The default secret-file kubeconfig credentials, bound by the shipped `kubeconfigFile` shim library
@pytest.mark.parametrize("kubeconfig_mode", ["file"], indirect=True)
def test_the_seed_pipeline_runs_to_its_inputs_and_to_success_as_the_project_identity(
    stack: Stack, container: Container, people: dict[str, ApiClient], attribution: str
) -> None:
    path = f"team-a/{SEED_JOB}"
    number = _run(stack, people["alice"], path)
    admin = requests.Session()
    admin.auth = (SHIPPED_BRIDGE_USER, SHIPPED_BRIDGE_TOKEN)
    base = f"{stack.sandbox.url}job/team-a/job/{SEED_JOB}/{number}/"
    runs = container.runs
    assert runs is not None
    actor = Actor("alice")

    def pending(input_id: str) -> Callable[[], list[Any]]:
        def check() -> list[Any]:
            info = stack.jenkins.get_build_info(path, number)
            assert not info["result"], stack.jenkins.get_build_console_output(path, number)
            return [p for p in admin.get(base + "wfapi/pendingInputActions").json() if p["id"] == input_id]

        return check

    for input_id in ("Deploy-to-staging", "Deploy-to-production"):  # InputStep capitalises the id
        wait_until(pending(input_id), what=f"the {input_id} input")
        assert stack.jenkins.get_build_info(path, number)["building"] is True
        runs.proceed_input(path, number, input_id, {}, actor)
    result, console = _finished(stack, path, number)
    assert result == "SUCCESS", console
    assert "Running on maven-" in console
    assert "+ docker login docker.io -u **** --password-stdin" in console
    if attribution == "user-token":  # Jenkins itself records the approver
        assert "Approved by alice" in console
    else:  # the bridge approves and notes who asked, on the run
        description = stack.jenkins.get_build_info(path, number)["description"]
        assert actor.approval_note(approved=True, input_id="Deploy-to-staging") in description
    assert _identity(stack, path, number) == "jb-project-team-a"
    for secret in SECRETS:
        assert secret not in console


@pytest.mark.parametrize("kind", ["timer", "scm"])
def test_cron_and_scm_builds_of_a_bridge_job_run_as_the_project_not_system(
    stack: Stack, people: dict[str, ApiClient], kind: str
) -> None:
    """Builds nobody started through the bridge (cron, SCM polling, webhooks) still run as the identity."""
    stack.sandbox.fire_trigger("team-a/hop", kind)  # the job's first build
    number = 1
    result, console = _finished(stack, "team-a/hop", number)
    assert result == "FAILURE", console
    assert "ERROR: No item named /team-b/deploy found" in console
    assert _identity(stack, "team-a/hop", number) == "jb-project-team-a"
    assert _builds(stack, "team-b/deploy") == 0


def test_workspace_members_follow_the_project_when_it_moves(
    stack: Stack, people: dict[str, ApiClient]
) -> None:
    """A binding on a workspace reaches its projects' folders; moving a project to another workspace
    takes the old workspace's members off its folder at the next poll, and gives it the new one's."""
    carol, bob = requests.Session(), requests.Session()
    carol.auth = ("carol", "carol-own-api-token")  # Jenkins users of their own (any attribution mode)
    bob.auth = ("bob", "bob-own-api-token")
    url = stack.sandbox.url + "job/team-a/job/own/api/json"
    for ws, user in (("ws-a", "carol"), ("ws-b", "bob")):
        r = stack.api.post(f"{W}/{ws}/members", {"kind": "user", "subject": user, "role": "viewer"})
        assert r.status_code == 200, r.json
    assert carol.get(url).status_code == 404
    assert stack.worker.poll() is not None
    assert carol.get(url).status_code == 200 and bob.get(url).status_code == 404
    assert carol.get(stack.sandbox.url + "job/team-b/api/json").status_code == 404

    assert stack.api.patch(f"{P}/team-a", {"workspace": "ws-b"}).status_code == 200
    result = stack.worker.poll()
    assert result is not None and not result.errors
    assert carol.get(url).status_code == 404
    assert bob.get(url).status_code == 200

    # a workspace binding removed through the API leaves every folder of the workspace at the next poll
    assert stack.api.post(f"{W}/ws-b/members", {"subject": "carol", "role": "viewer"}).status_code == 200
    assert stack.worker.poll() is not None
    assert carol.get(url).status_code == 200
    assert stack.api.delete(f"{W}/ws-b/members/user/carol").status_code == 204
    assert stack.worker.poll() is not None
    assert carol.get(url).status_code == 404
    assert carol.get(stack.sandbox.url + "job/team-b/job/deploy/api/json").status_code == 404
