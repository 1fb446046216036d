"""SIGTERM on real processes: ``serve`` finishes the request in flight (refusing new connections
meanwhile) and ``worker`` finishes its pass; both release the scheduler lock and exit 0."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import requests

from bridge.app import create_app
from bridge.sandbox.jenkins import SandboxJenkins
from bridge.settings import Settings
from tests.e2e.conftest import scheduler_lock_free, serve_env
from tests.e2e.test_serve_process import _free_port, _until
from tests.fixtures.app import ApiClient
from tests.fixtures.leaks import register_secret
from tests.ops.test_metrics import value
from tests.waiting import wait_until

TOKEN = "shutdown-admin-token-7d2e9a"
CLI = Path(sys.executable).with_name("jenkins-bridge")
VALIDATE = "pipeline-model-converter/validateJenkinsfile"


def _env(tmp_path: Path, sandbox: SandboxJenkins, **extra: str) -> dict[str, str]:
    register_secret(sandbox.admin_token, sandbox.admin_password)
    return serve_env(tmp_path, sandbox, TOKEN, BRIDGE_RECONCILE_POLL_INTERVAL="0.2", **extra)


def _stop(process: subprocess.Popen[str]) -> str:
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        raise AssertionError("did not stop within 30s of SIGTERM:\n" + output) from None
    return output


def test_serve_finishes_the_request_in_flight_then_releases_the_lock(
    tmp_path: Path, sandbox_jenkins: SandboxJenkins
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    process = subprocess.Popen(
        [str(CLI), "serve", "--with-worker", "--port", str(port)],
        env=_env(tmp_path, sandbox_jenkins),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    answer: dict[str, Any] = {}
    try:
        _until("the API", lambda: requests.get(f"{base}/healthz", timeout=2).ok)
        _until("leadership", lambda: requests.get(f"{base}/readyz", timeout=5).json()["leader"] == "leader")
        for path, body in (
            ("/api/v1/workspaces", {"name": "ws"}),
            ("/api/v1/projects", {"name": "demo", "workspace": "ws"}),
        ):
            assert requests.post(base + path, json=body, headers=auth, timeout=5).status_code == 201
        hold = sandbox_jenkins.faults.hold(VALIDATE)

        def slow_request() -> None:
            r = requests.post(
                f"{base}/api/v1/projects/demo/pipelines/validate",
                json={
                    "jenkinsfile": "pipeline { agent any\n stages { stage('a') { steps { echo 'hi' } } } }"
                },
                headers=auth,
                timeout=30,
            )
            answer.update(status=r.status_code, body=r.json())

        client = threading.Thread(target=slow_request)
        client.start()
        wait_until(hold.arrived.is_set, timeout=20, what="the request to reach Jenkins")
        process.send_signal(signal.SIGTERM)
        _until_refused(f"{base}/healthz")
        assert process.poll() is None and not answer  # still serving the request in flight
        hold.release()
        client.join(timeout=30)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        output = _stop(process)
    assert answer["status"] == 200 and answer["body"]["status"] == "valid", (answer, output)
    assert process.returncode == 0, output
    assert "waiting up to 20s for 1 requests in flight" in output
    assert "scheduler lock released" in output and scheduler_lock_free(tmp_path)
    assert TOKEN not in output


def _until_refused(url: str) -> None:
    def refused() -> bool:
        try:
            requests.get(url, timeout=2)
        except requests.ConnectionError:
            return True
        return False

    wait_until(refused, timeout=20, interval=0.05, what="new connections to be refused")


def test_worker_finishes_its_pass_then_releases_the_lock(
    tmp_path: Path, sandbox_jenkins: SandboxJenkins
) -> None:
    metrics_port = _free_port()
    env = _env(tmp_path, sandbox_jenkins, BRIDGE_METRICS_PORT=str(metrics_port))
    scrape = f"http://127.0.0.1:{metrics_port}/metrics"
    process = subprocess.Popen(
        [str(CLI), "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        wait_until(
            lambda: not scheduler_lock_free(tmp_path), timeout=20, interval=0.1, what="the worker to lead"
        )
        settings = Settings.load({k: v for k, v in env.items() if k.startswith("BRIDGE_")})
        app = create_app(settings)
        api = ApiClient(app.test_client(), token=TOKEN)
        hold = sandbox_jenkins.faults.hold(r"createItem")
        assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
        assert api.post("/api/v1/projects", {"name": "demo", "workspace": "ws"}).status_code == 201
        app.extensions["bridge"].close()  # nothing of this process touches the database meanwhile
        wait_until(hold.arrived.is_set, timeout=20, what="the worker's pass to write to Jenkins")
        body = requests.get(scrape, timeout=5).text  # the worker's own listener, no credentials
        assert value(body, "bridge_leader") == 1 and value(body, "bridge_store_up") == 1
        assert value(body, "bridge_objects", kind="project", status="pending") == 1  # in flight
        process.send_signal(signal.SIGTERM)
        hold.release()
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        output = _stop(process)
    assert process.returncode == 0, output
    assert scheduler_lock_free(tmp_path), output
    # the first resync may start late on a busy machine and take the new project itself
    assert re.search(r"(event|resync) pass: [1-9]\d* writes", output) and "scheduler lock released" in output
    after = create_app(settings)
    synced = ApiClient(after.test_client(), token=TOKEN).get("/api/v1/projects/demo").json["sync"]["status"]
    after.extensions["bridge"].close()
    assert synced == "synced"
