"""The whole stack served for real: the API over the production server model (``http_server.plain_server``
on a free port, its thread pool and stream slots), the sandbox Jenkins over HTTP with a clock that runs,
and a pipeline whose log grows while it runs, prints a bound secret and has steps in two stages."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from waitress import wasyncore

from bridge.cli.http_server import plain_server
from bridge.sandbox.jenkins import SandboxJenkins
from bridge.sandbox.jenkins.buildstate import SIMULATION
from bridge.sandbox.jenkins.pipeline import ShellRule, Simulation
from bridge.settings import Settings
from tests.e2e import conftest as e2e
from tests.e2e.conftest import P, Stack, jenkins_env
from tests.fixtures.app import ADMIN_TOKEN, make_settings
from tests.fixtures.leaks import register_secret
from tests.waiting import wait_until

SECRET = "s3cr3t-value-for-the-log"
SCRIPT = """pipeline { agent any
  stages {
    stage('count') { steps { sh 'seq 1 60' } }
    stage('secret') {
      steps {
        sleep 1
        withCredentials([string(credentialsId: 'tok', variable: 'T')]) { sh 'echo $T' }
      }
    }
  }
}"""
#: Simulated seconds the counting step takes (its output arrives in ten slices over that time).
COUNT_SECONDS = 3.0

stack = e2e.stack  # the whole stack of the end-to-end tests, with the settings below


#: Jenkins versions whose ``progressiveText`` differs: console notes stripped (≤ 2.508) or sent (≥ 2.509).
VERSIONS = ("2.479.3", "2.516.1")


@pytest.fixture
def jenkins_version(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", VERSIONS[0]))


@pytest.fixture
def sandbox_jenkins(sandbox_jenkins_factory: Any, jenkins_version: str) -> SandboxJenkins:
    j: SandboxJenkins = sandbox_jenkins_factory(version=jenkins_version)
    j.services[SIMULATION] = Simulation(
        time_scale=1.0, sh_seconds=0.0, shell_rules=(ShellRule("seq", seconds=COUNT_SECONDS),)
    )
    return j


@pytest.fixture
def settings(tmp_path: Path, sandbox_jenkins: SandboxJenkins) -> Settings:
    register_secret(sandbox_jenkins.admin_token, sandbox_jenkins.admin_password, SECRET)
    return make_settings(
        tmp_path,
        BRIDGE_API_LOG_POLL_INTERVAL="0.2",
        BRIDGE_API_STREAM_HEARTBEAT="0.5",
        BRIDGE_API_MAX_STREAMS="50",
        **jenkins_env(sandbox_jenkins),
    )


@pytest.fixture
def base_url(app: Flask, settings: Settings) -> Iterator[str]:
    server = plain_server(app, host="127.0.0.1", port=0, threads=4, api=settings.api)
    stopping = threading.Event()

    def run() -> None:
        # waitress's loop, a turn at a time, so that it ends and closes its sockets on its own thread
        # (closing them from another thread under a running poll fails there)
        while not stopping.is_set():
            wasyncore.loop(timeout=0.05, map=server._map, use_poll=True, count=1)
        wasyncore.close_all(server._map)

    thread = threading.Thread(target=run, name="bridge-http", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    stopping.set()
    thread.join(10)
    server.task_dispatcher.shutdown(timeout=10)
    assert not thread.is_alive()


@dataclass
class Served:
    stack: Stack
    url: str
    http: requests.Session

    def run_url(self, build: int = 1, project: str = "demo", pipeline: str = "build") -> str:
        return f"{self.url}{P}/{project}/pipelines/{pipeline}/runs/{build}"

    def start_run(self) -> int:
        r = self.http.post(f"{self.url}{P}/demo/pipelines/build/runs", json={})
        assert r.status_code == 202, r.text
        jenkins = self.stack.jenkins
        wait_until(lambda: jenkins.get_job_info("demo/build")["lastBuild"], what="the build to start")
        return int(jenkins.get_job_info("demo/build")["lastBuild"]["number"])

    def finished(self, build: int = 1) -> bool:
        return bool(self.stack.jenkins.get_build_info("demo/build", build).get("result"))


@pytest.fixture
def served(stack: Stack, base_url: str) -> Served:
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
    api = stack.api
    assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    assert api.post(P, {"name": "demo", "workspace": "ws"}).status_code == 201
    r = api.post(f"{P}/demo/credentials", {"id": "tok", "type": "secret-text", "data": {"secret": SECRET}})
    assert r.status_code == 201, r.json
    assert api.post(f"{P}/demo/pipelines", {"name": "build", "jenkinsfile": SCRIPT}).status_code == 201
    stack.worker.poll()
    return Served(stack, base_url, http)


def log_requests(stack: Stack) -> dict[str, int]:
    """Requests the log side sent to Jenkins, by operation, on the controller's shared connection
    (which also carries the runs, provisioning and probe requests, counted under other operations)."""
    ops = stack.container.connections["default"].operations.snapshot()
    return {op: ops[op] for op in ("log", "log_state") if op in ops}


def sse_events(response: requests.Response) -> Iterator[tuple[str | None, str, Any]]:
    """(id, event, data) for each event of an SSE body; comments (heartbeats) as (None, "comment", text)."""
    event_id, kind, data = None, "message", []
    for line in response.iter_lines(chunk_size=1, decode_unicode=True):
        if line.startswith(":"):
            yield None, "comment", line[1:].strip()
        elif line == "":
            if data:
                yield event_id, kind, json.loads("\n".join(data))
            event_id, kind, data = None, "message", []
        else:
            field, _, value = line.partition(": ")
            if field == "id":
                event_id = value
            elif field == "event":
                kind = value
            elif field == "data":
                data.append(value)
