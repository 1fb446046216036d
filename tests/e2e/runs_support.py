"""Fixtures and helpers of the run index tests: the API, the run worker and the sandbox over HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from bridge.bootstrap import Container, build_run_follower, build_worker
from bridge.identity.token_store import TokenStore
from bridge.reconcile.runner import Worker
from bridge.reconcile.runsync import RunFollower
from bridge.sandbox.jenkins import SandboxJenkins, UserSpec
from bridge.sandbox.jenkins.buildstate import SIMULATION
from bridge.sandbox.jenkins.model import DEFAULT_USER_PERMISSIONS, RUN_REPLAY
from bridge.sandbox.jenkins.pipeline import Simulation
from bridge.settings import Settings
from tests.e2e.conftest import P, jenkins_env
from tests.fixtures.app import ApiClient, make_settings
from tests.fixtures.leaks import register_secret
from tests.waiting import wait_until

GRAPH = """pipeline { agent any
  parameters { string(name: 'GREETING', defaultValue: 'hi', description: 'what to say') }
  stages {
    stage('build') { steps { echo "say ${params.GREETING}" } }
    stage('tests') {
      parallel {
        stage('unit') { steps { echo 'unit'; sh 'true' } }
        stage('e2e') { steps { echo 'e2e' } }
      }
    }
    stage('approve') { steps { input message: 'Ship it?', ok: 'Ship' } }
    stage('ship') { steps { echo 'shipped' } }
  }
}"""
PIPELINE = {
    "name": "build",
    "jenkinsfile": GRAPH,
    "parameters": [
        {"name": "ENV", "type": "choice", "choices": ["dev", "prod"]},
        {"name": "DRY", "type": "boolean", "default": True},
    ],
}
RUNS = f"{P}/demo/pipelines/build/runs"


@dataclass
class RunStack:
    api: ApiClient
    people: dict[str, ApiClient]
    container: Container
    sandbox: SandboxJenkins
    worker: Worker
    follower: RunFollower

    @property
    def session(self) -> requests.Session:
        s = requests.Session()
        s.auth = (self.sandbox.admin_user, self.sandbox.admin_token)
        return s

    def follow_until(self, number: int, check: Any, what: str) -> dict[str, Any]:
        """Let the worker refresh the index until the run's indexed state satisfies ``check``."""

        def look() -> dict[str, Any] | None:
            self.follower.follow()
            found = [r for r in self.api.get(RUNS).json["items"] if r["number"] == number]
            return found[0] if found and check(found[0]) else None

        return wait_until(look, what=what, timeout=20)

    def first_number(self, run: dict[str, Any]) -> int:
        """The build number Jenkins gave a queued run (the worker follows its queue item)."""

        def look() -> int | None:
            self.follower.follow()
            items = self.api.get(RUNS).json["items"]
            found = [r for r in items if r["queue_id"] == run["queue_id"] and r["number"]]
            return int(found[0]["number"]) if found else None

        return wait_until(look, what="the run to get a build number", timeout=20)

    def approve(self, number: int) -> None:
        detail = self.api.get(f"{RUNS}/{number}").json
        input_id = detail["pending_input"]["id"]
        base = f"{self.sandbox.url}job/demo/job/build/{number}/input/{input_id}/proceedEmpty"
        crumb = self.session.get(f"{self.sandbox.url}crumbIssuer/api/json").json()
        r = self.session.post(
            base, headers={crumb["crumbRequestField"]: crumb["crumb"]}, allow_redirects=False
        )
        assert r.status_code in (200, 302), r.text


def sandbox_for_runs(factory: Any) -> SandboxJenkins:
    j: SandboxJenkins = factory(
        # the legacy strategy: Jenkins's own permissions per user; ada (a project admin) may replay
        users=[
            *(UserSpec(u, password=f"{u}-pw-1") for u in ("otto", "vera")),
            UserSpec("ada", password="ada-pw-1", permissions=DEFAULT_USER_PERMISSIONS | {RUN_REPLAY}),
        ],
        system_properties={"jenkins.security.ApiTokenProperty.adminCanGenerateNewTokens": "true"},
    )
    j.services[SIMULATION] = Simulation(time_scale=0)
    return j


def run_settings(tmp_path: Path, sandbox: SandboxJenkins, **extra: str) -> Settings:
    register_secret(sandbox.admin_token, sandbox.admin_password)
    env = {
        "BRIDGE_RECONCILE_RUN_CACHE_TTL": "0.05",
        "BRIDGE_RECONCILE_RUN_REFRESH_MIN": "0.05",
        "BRIDGE_RECONCILE_RUN_REFRESH_MAX": "0.2",
        **extra,
    }
    return make_settings(tmp_path, **jenkins_env(sandbox), **env)


def as_user(container: Container, api: ApiClient, user: str) -> ApiClient:
    token = TokenStore(container.store.engine).create(user=user, groups=(), created_by="test").token
    register_secret(token)
    return ApiClient(api.client, token=token)


@pytest.fixture
def run_stack(
    api: ApiClient, container: Container, settings: Settings, sandbox_jenkins: SandboxJenkins
) -> RunStack:
    assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    assert api.post(P, {"name": "demo", "workspace": "ws"}).status_code == 201
    assert api.post(f"{P}/demo/pipelines", PIPELINE).status_code == 201, "created"
    for user, role in (("vera", "viewer"), ("otto", "operator"), ("ada", "admin")):
        assert api.post(f"{P}/demo/members", {"subject": user, "role": role}).status_code == 200
    worker = build_worker(settings, desired=container.desired, jenkins=container.jenkins)
    worker.poll()
    follower = build_run_follower(settings, container.store, container.run_service)
    people = {u: as_user(container, api, u) for u in ("vera", "otto", "ada")}
    return RunStack(api, people, container, sandbox_jenkins, worker, follower)
