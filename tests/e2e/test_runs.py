"""Starting runs through the API: who may, what Jenkins records, and the cases that must not reach it.

Both attribution modes run against the sandbox over HTTP: with ``user-token`` Jenkins itself records
the caller ("Started by user otto"); with ``parameter`` the service account starts the run and the job's
``BRIDGE_REQUESTED_BY`` parameter names the caller.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jenkins as pyjenkins
import pytest

from bridge.bootstrap import Container
from bridge.identity.token_store import TokenStore
from bridge.sandbox.jenkins import SandboxJenkins, UserSpec
from bridge.sandbox.jenkins.buildstate import SIMULATION
from bridge.sandbox.jenkins.pipeline import Simulation
from bridge.settings import Settings
from tests.e2e.conftest import P, Stack, jenkins_env
from tests.fixtures.app import ApiClient, make_settings
from tests.fixtures.leaks import register_secret
from tests.waiting import wait_until

SCRIPT = "pipeline { agent any\n stages { stage('a') { steps { echo \"env=${params.ENV}\" } } } }"
PIPELINE = {
    "name": "build",
    "jenkinsfile": SCRIPT,
    "parameters": [{"name": "ENV", "type": "choice", "choices": ["dev", "prod"]}],
}


@pytest.fixture(params=["parameter", "user-token"])
def attribution(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sandbox_jenkins(sandbox_jenkins_factory: Any) -> SandboxJenkins:
    j: SandboxJenkins = sandbox_jenkins_factory(
        users=[UserSpec("otto", password="otto-pw-1"), UserSpec("vera", password="vera-pw-1")],
        system_properties={"jenkins.security.ApiTokenProperty.adminCanGenerateNewTokens": "true"},
    )
    j.services[SIMULATION] = Simulation(time_scale=0)
    return j


@pytest.fixture
def settings(tmp_path: Path, sandbox_jenkins: SandboxJenkins, attribution: str) -> Settings:
    register_secret(sandbox_jenkins.admin_token, sandbox_jenkins.admin_password)
    return make_settings(tmp_path, BRIDGE_JENKINS_ATTRIBUTION=attribution, **jenkins_env(sandbox_jenkins))


def _as(stack: Stack, container: Container, user: str) -> ApiClient:
    token = TokenStore(container.store.engine).create(user=user, groups=(), created_by="test").token
    register_secret(token)
    return ApiClient(stack.api.client, token=token)


@pytest.fixture
def people(stack: Stack, container: Container) -> dict[str, ApiClient]:
    api = stack.api
    assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    assert api.post(P, {"name": "demo", "workspace": "ws"}).status_code == 201
    assert api.post(f"{P}/demo/pipelines", PIPELINE).status_code == 201
    for user, role in (("vera", "viewer"), ("otto", "operator")):
        assert api.post(f"{P}/demo/members", {"subject": user, "role": role}).status_code == 200
    return {user: _as(stack, container, user) for user in ("vera", "otto")}


def _build(stack: Stack, number: int) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        info: dict[str, Any] = stack.jenkins.get_build_info("demo/build", number)
        return info if info.get("result") else None

    return wait_until(finished, what="the run to finish", retry_on=(pyjenkins.JenkinsException,))


def _action(build: dict[str, Any], suffix: str) -> dict[str, Any]:
    (found,) = [a for a in build["actions"] if a and a.get("_class", "").endswith(suffix)]
    return found


def test_an_operator_runs_and_jenkins_records_who_asked(
    stack: Stack, people: dict[str, ApiClient], attribution: str
) -> None:
    stack.worker.poll()
    r = people["otto"].post(f"{P}/demo/pipelines/build/runs", {"parameters": {"ENV": "prod"}})
    assert r.status_code == 202, r.json
    assert r.json["requested_by"] == "otto" and r.json["queue_id"] > 0

    build = _build(stack, 1)
    assert build["result"] == "SUCCESS"
    values = {p["name"]: p["value"] for p in _action(build, "ParametersAction")["parameters"]}
    assert values["ENV"] == "prod"
    (cause,) = _action(build, "CauseAction")["causes"]
    if attribution == "user-token":
        assert cause["userId"] == "otto", "Jenkins itself records the real user"
    else:
        assert cause["userId"] == stack.sandbox.admin_user
        assert values["BRIDGE_REQUESTED_BY"] == "otto"
    audit = stack.api.get("/api/v1/audit?action=run.trigger").json["items"]
    assert [(e["actor"], e["outcome"], e["status"], e["project"]) for e in audit] == [
        ("otto", "success", 202, "demo")
    ]


def test_a_viewer_cannot_run(stack: Stack, people: dict[str, ApiClient]) -> None:
    stack.worker.poll()
    r = people["vera"].post(f"{P}/demo/pipelines/build/runs", {})
    assert r.status_code == 403, r.json
    assert stack.jenkins.get_job_info("demo/build")["nextBuildNumber"] == 1, "nothing reached Jenkins"
    audit = stack.api.get("/api/v1/audit?action=run.trigger").json["items"]
    assert [(e["actor"], e["outcome"]) for e in audit] == [("vera", "denied")]


def test_runs_that_cannot_start_are_refused_before_jenkins(
    stack: Stack, people: dict[str, ApiClient]
) -> None:
    otto = people["otto"]
    r = otto.post(f"{P}/demo/pipelines/build/runs", {})
    assert r.status_code == 409 and "not in Jenkins yet" in r.json["detail"]
    stack.worker.poll()
    bad_choice = otto.post(f"{P}/demo/pipelines/build/runs", {"parameters": {"ENV": "staging"}})
    assert bad_choice.status_code == 400 and bad_choice.json["errors"][0]["field"] == "parameters.ENV"
    spoof = otto.post(f"{P}/demo/pipelines/build/runs", {"parameters": {"BRIDGE_REQUESTED_BY": "root"}})
    assert spoof.status_code == 400
    assert otto.post(f"{P}/demo/pipelines/nope/runs", {}).status_code == 404
    assert stack.jenkins.get_job_info("demo/build")["nextBuildNumber"] == 1

    stack.sandbox.outage()
    try:
        down = otto.post(f"{P}/demo/pipelines/build/runs", {})
    finally:
        stack.sandbox.recover()
    assert down.status_code == 503 and down.headers["Content-Type"] == "application/problem+json"
