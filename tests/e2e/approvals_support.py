"""The seed story's stack: the API, the worker, the run follower and the approval job over the sandbox
Jenkins (HTTP), clusters rohan/gondor/shire in the inventory as the cluster tests create them, and
users with their own API tokens: alice and bob (operators), carol (admin), vera (viewer)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bridge.bootstrap import Container, build_approval_jobs, build_run_follower
from bridge.reconcile.runsync import RunFollower
from bridge.sandbox.jenkins import SandboxJenkins, UserSpec
from bridge.sandbox.jenkins.buildstate import SIMULATION
from bridge.sandbox.jenkins.pipeline import Simulation
from bridge.services.approval_jobs import ApprovalJobs
from bridge.settings import Settings
from tests.clusters.kubesync_support import KubeSync, start_kubesync
from tests.e2e.conftest import P
from tests.e2e.runs_support import as_user, run_settings
from tests.fixtures.app import ApiClient
from tests.fixtures.leaks import register_secret
from tests.fixtures.sandbox import SandboxFactory
from tests.waiting import wait_until

SEED = (Path(__file__).resolve().parents[1] / "sandbox" / "data" / "seed-multicluster.Jenkinsfile").read_text(
    encoding="utf-8"
)
WORKSPACE, PROJECT, PIPELINE = "devops-multicluster", "multicluster-demo", "build-and-deploy-application"
PIPE = f"{P}/{PROJECT}/pipelines/{PIPELINE}"
USERS = {"alice": "operator", "bob": "operator", "carol": "admin", "vera": "viewer"}
DOCKER_PASSWORD = "d0cker-seed-story-Pa55"
SONAR_TOKEN = "sq-seed-story-t0ken-5678"
CREDENTIALS = {
    "dockerhub-id": {"type": "basic-auth", "data": {"username": "docker-bot", "password": DOCKER_PASSWORD}},
    "sonar-token": {"type": "secret-text", "data": {"secret": SONAR_TOKEN}},
}


@pytest.fixture(params=["parameter", "user-token"])
def attribution(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sandbox_jenkins(sandbox_jenkins_factory: SandboxFactory) -> SandboxJenkins:
    j: SandboxJenkins = sandbox_jenkins_factory(
        users=[
            UserSpec(u, password=f"{u}-pw-1", groups=("Release-Managers",) if u == "carol" else ())
            for u in USERS
        ],
        system_properties={"jenkins.security.ApiTokenProperty.adminCanGenerateNewTokens": "true"},
    )
    j.services[SIMULATION] = Simulation(time_scale=0)
    return j


@pytest.fixture
def settings(tmp_path: Path, sandbox_jenkins: SandboxJenkins, attribution: str) -> Settings:
    register_secret(DOCKER_PASSWORD, SONAR_TOKEN)
    return run_settings(
        tmp_path,
        sandbox_jenkins,
        BRIDGE_JENKINS_ATTRIBUTION=attribution,
        BRIDGE_JENKINS_KUBECONFIG_CREDENTIAL_MODE="kubeconfig-plugin",
    )


@dataclass
class Story:
    api: ApiClient
    container: Container
    sandbox: SandboxJenkins
    kube: KubeSync
    follower: RunFollower
    jobs: ApprovalJobs
    people: dict[str, ApiClient]
    kubeconfigs: dict[str, str] = field(default_factory=dict)
    #: the seed project's pipeline runs the seed's Jenkinsfile (with its BRANCH_NAME parameter)
    seed: bool = True

    def tick(self) -> None:
        """What the worker's jobs do on their schedules: follow runs, record inputs, expire, notify."""
        self.follower.follow()
        self.jobs.run()

    def run(self, number: int, path: str = PIPE) -> dict[str, Any]:
        r = self.api.get(f"{path}/runs/{number}")
        assert r.status_code == 200, r.json
        return r.json

    def wait_input(self, number: int, input_id: str, path: str = PIPE) -> dict[str, Any]:
        def look() -> dict[str, Any] | None:
            self.tick()
            items = self.api.get(f"{path}/runs/{number}/inputs").json["items"]
            found = [i for i in items if i["id"] == input_id and i["state"] == "waiting"]
            return found[0] if found else None

        return wait_until(look, what=f"run {number} to wait on {input_id}", timeout=30)

    def wait_status(self, number: int, status: str, path: str = PIPE) -> dict[str, Any]:
        def look() -> dict[str, Any] | None:
            self.tick()
            detail = self.run(number, path)
            return detail if detail["status"] == status else None

        return wait_until(look, what=f"run {number} to be {status}", timeout=30)

    def start(self, who: str, path: str = PIPE, parameters: dict[str, str] | None = None) -> int:
        if parameters is None:  # the seed's one parameter, for the seed's pipeline
            parameters = {"BRANCH_NAME": "master"} if path == PIPE and self.seed else {}
        r = self.people[who].post(f"{path}/runs", {"parameters": parameters})
        assert r.status_code == 202, r.json
        queue_id = r.json["queue_id"]

        def number() -> int | None:
            self.follower.follow()
            items = self.api.get(f"{path}/runs").json["items"]
            found = [i for i in items if i["queue_id"] == queue_id and i["number"]]
            return int(found[0]["number"]) if found else None

        return int(wait_until(number, what="the run's build number", timeout=30))

    @contextmanager
    def counting(self) -> Iterator[list[str]]:
        """Every request the sandbox Jenkins receives inside the block (method and path)."""
        seen: list[str] = []
        app = self.sandbox.app
        assert app is not None
        original: Callable[..., Any] = app.handle

        def handle(request: Any) -> Any:
            seen.append(f"{request.method} {request.path}")
            return original(request)

        app.handle = handle  # type: ignore[method-assign]
        try:
            yield seen
        finally:
            app.handle = original  # type: ignore[method-assign]


def declare_project(api: ApiClient, container: Container, pipeline: dict[str, Any]) -> dict[str, ApiClient]:
    """The seed's workspace over rohan/gondor/shire, its project placed on gondor, the members, carol's
    credentials and ``pipeline`` (declared by carol); each user's API client."""
    r = api.post("/api/v1/workspaces", {"name": WORKSPACE, "clusters": ["rohan", "gondor", "shire"]})
    assert r.status_code == 201, r.json
    r = api.post(P, {"name": PROJECT, "workspace": WORKSPACE, "cluster": "gondor"})
    assert r.status_code == 201, r.json
    for user, role in USERS.items():
        assert api.post(f"{P}/{PROJECT}/members", {"subject": user, "role": role}).status_code == 200
    people = {u: as_user(container, api, u) for u in USERS}
    for cid, body in CREDENTIALS.items():
        r = people["carol"].post(f"{P}/{PROJECT}/credentials", {"id": cid, **body})
        assert r.status_code == 201, r.json
    r = people["carol"].post(f"{P}/{PROJECT}/pipelines", pipeline)
    assert r.status_code == 201, r.json
    return people


def declare_story(
    api: ApiClient, container: Container, settings: Settings, sandbox: SandboxJenkins, jenkinsfile: str = SEED
) -> Story:
    """The seed's set-up through the API: clusters, workspace, project on gondor, members, credentials,
    the pipeline with the seed's Jenkinsfile; one worker pass syncs all of it, kubeconfigs included."""
    kube = start_kubesync(api, container, settings, sandbox)
    configs = {name: kube.put(name) for name in ("rohan", "gondor", "shire")}
    people = declare_project(api, container, {"name": PIPELINE, "jenkinsfile": jenkinsfile})
    result = kube.worker.poll()
    assert result is not None and not result.errors, result.errors
    follower = build_run_follower(settings, container.store, container.run_service)
    assert container.approvals is not None
    jobs = build_approval_jobs(container.approvals)
    return Story(api, container, sandbox, kube, follower, jobs, people, configs, seed=jenkinsfile == SEED)


def gate(submitter: str | None = None, input_id: str = "ship") -> str:
    """A pipeline that stops at one input (with ``submitter`` when given) and then says so."""
    extra = f", submitter: '{submitter}'" if submitter else ""
    return (
        "pipeline { agent any\n stages {\n"
        "  stage('build') { steps { echo 'built' } }\n"
        f"  stage('gate') {{ steps {{ input(id: '{input_id}', message: 'Ship it?'{extra}) }} }}\n"
        "  stage('ship') { steps { echo 'shipped' } }\n } }"
    )


def add_pipeline(story: Story, name: str, jenkinsfile: str, project: str = PROJECT, **body: Any) -> str:
    """A pipeline declared by carol and synced by one worker pass; its API path."""
    r = story.people["carol"].post(
        f"{P}/{project}/pipelines", {"name": name, "jenkinsfile": jenkinsfile, **body}
    )
    assert r.status_code == 201, r.json
    result = story.kube.worker.poll()
    assert result is not None and not result.errors, result.errors
    return f"{P}/{project}/pipelines/{name}"
