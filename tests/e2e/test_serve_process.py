"""``jenkins-bridge serve --with-worker`` as a real process against the sandbox Jenkins: create over
HTTP, see it synced, SIGTERM, clean exit (status 0, scheduler lock released, no secret in its output)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jenkins as pyjenkins
import requests

from bridge.sandbox.jenkins import SandboxJenkins
from tests.e2e.conftest import scheduler_lock_free, serve_env
from tests.waiting import wait_until

TOKEN = "serve-e2e-admin-token-5f1c2a"
SECRET = "serve-e2e-secret-value"
CLI = Path(sys.executable).with_name("jenkins-bridge")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _until(what: str, check: Callable[[], Any], timeout: float = 20.0) -> Any:
    """``wait_until`` for a server that may not be listening yet."""
    return wait_until(check, timeout=timeout, interval=0.1, what=what, retry_on=(requests.ConnectionError,))


def test_serve_with_worker_syncs_and_stops_cleanly_on_sigterm(
    tmp_path: Path, sandbox_jenkins: SandboxJenkins
) -> None:
    port = _free_port()
    env = serve_env(tmp_path, sandbox_jenkins, TOKEN, BRIDGE_RECONCILE_POLL_INTERVAL="0.2")
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    process = subprocess.Popen(
        [str(CLI), "serve", "--with-worker", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _until("the API", lambda: requests.get(f"{base}/healthz", timeout=2).ok)
        for path, body in (
            ("/api/v1/workspaces", {"name": "ws"}),
            ("/api/v1/projects", {"name": "demo", "workspace": "ws"}),
            (
                "/api/v1/projects/demo/credentials",
                {"id": "tok", "type": "secret-text", "data": {"secret": SECRET}},
            ),
            ("/api/v1/projects/demo/pipelines", {"name": "build", "jenkinsfile": "echo hi"}),
        ):
            r = requests.post(base + path, json=body, headers=auth, timeout=5)
            assert r.status_code == 201, r.text

        def synced() -> Any:
            r = requests.get(f"{base}/api/v1/projects/demo/pipelines/build", headers=auth, timeout=5)
            return r.json()["sync"] if r.json()["sync"]["status"] == "synced" else None

        state = _until("the pipeline to sync", synced)
        assert state["synced_at"] is not None
        client = pyjenkins.Jenkins(
            sandbox_jenkins.url, username=sandbox_jenkins.admin_user, password=sandbox_jenkins.admin_token
        )
        assert client.job_exists("demo/build") and client.credential_exists("tok", "demo")
        _until(
            "Jenkins to be reported reachable",
            lambda: requests.get(f"{base}/readyz", timeout=5).json()["jenkins"] == "ok",
        )
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
            raise AssertionError("serve did not stop within 20s of SIGTERM:\n" + output) from None
    assert process.returncode == 0, output
    assert "reconciliation worker started" in output
    for secret in (TOKEN, SECRET, sandbox_jenkins.admin_token, env["BRIDGE_SECRET_KEY"]):
        assert secret not in output
    assert scheduler_lock_free(tmp_path)  # the worker let go of the scheduler lock
