"""``serve --with-worker`` runs the worker in a child process: the child holds the scheduler lock and
does the Jenkins writes, serve's ``/readyz`` and ``/metrics`` report them, a write through the API
starts a pass at once, and the child never outlives serve (even killed) nor ends unnoticed."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from bridge.sandbox.jenkins import SandboxJenkins
from tests.e2e.conftest import scheduler_lock_free, serve_env
from tests.e2e.test_serve_process import _until
from tests.fixtures.workers import CLI, free_port
from tests.ops.test_metrics import value
from tests.waiting import wait_until

TOKEN = "worker-process-admin-token-7d21"


@dataclass
class Served:
    process: subprocess.Popen[str]
    base: str
    data: Path

    def get(self, path: str) -> requests.Response:
        return requests.get(self.base + path, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)

    def post(self, path: str, body: dict[str, Any]) -> None:
        r = requests.post(
            self.base + path, json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
        )
        assert r.status_code == 201, r.text

    def output(self) -> str:
        return (self.data / "serve.log").read_text()

    def children(self) -> list[int]:
        return _children(self.process.pid)

    def lock_held(self) -> bool:
        return not scheduler_lock_free(self.data)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def served(tmp_path: Path, sandbox_jenkins: SandboxJenkins) -> Iterator[Served]:
    port = free_port()
    # long enough that only the API's wake (or SQLite's change watch) starts a pass in time
    env = serve_env(
        tmp_path,
        sandbox_jenkins,
        TOKEN,
        BRIDGE_RECONCILE_POLL_INTERVAL="30",
        BRIDGE_RECONCILE_RESYNC_INTERVAL="3600",
    )
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [str(CLI), "serve", "--with-worker", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    s = Served(process, f"http://127.0.0.1:{port}", tmp_path)
    children: list[int] = []
    try:
        _until("the worker to lead", lambda: _leader(s.base) == "leader", timeout=60)
        children.extend(s.children())
        yield s
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        for pid in children:  # never leave a worker behind, whatever the test did
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _leader(base: str) -> str:
    return str(requests.get(base + "/readyz", timeout=2).json()["leader"])


def _created(metrics: str) -> float:
    """Jobs and folders created in Jenkins, as serve's /metrics counts them."""
    labels = {"controller": "default", "operation": "create_item", "method": "POST"}
    return value(metrics, "bridge_jenkins_requests_total", **labels) or 0


def test_the_worker_is_a_child_process_and_serve_reports_its_work(
    served: Served, sandbox_jenkins: SandboxJenkins
) -> None:
    (child,) = served.children()  # one process: the worker
    assert served.lock_held()  # by the child: serve itself never takes the scheduler lock
    before = _created(served.get("/metrics").text)
    served.post("/api/v1/workspaces", {"name": "ws"})
    served.post("/api/v1/projects", {"name": "demo", "workspace": "ws"})
    served.post("/api/v1/projects/demo/pipelines", {"name": "build", "jenkinsfile": "echo hi"})
    # the poll interval is 30 s: the pipeline is in Jenkins well before that only because the write woke
    # the worker
    wait_until(lambda: sandbox_jenkins.state.find_item("demo/build") is not None, timeout=15, what="the job")
    metrics = served.get("/metrics").text
    assert value(metrics, "bridge_leader") == 1
    assert value(metrics, "bridge_reconcile_actions_total", kind="pipeline", op="create") == 1
    assert value(metrics, "bridge_reconcile_actions_total", kind="project", op="create") == 1
    assert _created(metrics) - before == 2  # the folder and the job, sent by the child
    assert served.children() == [child]


def test_the_worker_stops_with_serve_and_releases_the_lock(served: Served) -> None:
    (child,) = served.children()
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=30) == 0, served.output()
    assert not _alive(child)
    assert not served.lock_held()


def test_a_killed_serve_takes_its_worker_along(served: Served) -> None:
    """serve cannot tell its worker when it is killed: the worker sees the pipe end and stops."""
    (child,) = served.children()
    served.process.kill()
    served.process.wait(timeout=10)
    wait_until(lambda: not _alive(child), timeout=30, what="the orphaned worker to stop")
    assert not served.lock_held()


def test_a_worker_that_ends_by_itself_makes_serve_not_ready(served: Served) -> None:
    (child,) = served.children()
    os.kill(child, signal.SIGKILL)

    def lost() -> Any:
        r = requests.get(served.base + "/readyz", timeout=5)
        return (r.status_code, r.json()) if r.json()["leader"] == "lost" else None

    status, body = wait_until(lost, timeout=15, what="readiness to notice")
    assert status == 503 and body["status"] == "not-ready"
    assert requests.get(served.base + "/healthz", timeout=5).status_code == 200  # the API still answers
    assert value(served.get("/metrics").text, "bridge_leader") == 0
