"""``serve --with-worker`` runs the cluster inventory from its settings: a static cluster shows in the API
with its reachability, the process stops cleanly, and no kubeconfig secret reaches its output."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest
import requests

from bridge.sandbox.jenkins import SandboxJenkins
from tests.e2e.conftest import serve_env
from tests.e2e.test_serve_process import CLI, _free_port, _until
from tests.fixtures.kube import KubeCluster

pytestmark = pytest.mark.kube
TOKEN = "inventory-e2e-admin-token-7d2e"


def test_serve_with_worker_keeps_the_inventory(
    tmp_path: Path, sandbox_jenkins: SandboxJenkins, kube_clusters: Mapping[str, KubeCluster]
) -> None:
    shire = kube_clusters["shire"]
    key = shire.kubeconfig_dict["users"][0]["user"]["client-key-data"]
    port = _free_port()
    env = serve_env(
        tmp_path,
        sandbox_jenkins,
        TOKEN,
        BRIDGE_LOG_LEVEL="DEBUG",
        BRIDGE_CLUSTERS_SOURCES="static",
        BRIDGE_CLUSTERS_STATIC=f"shire={shire.kubeconfig_path}",
        BRIDGE_CLUSTERS_PROBE_INTERVAL="1",
    )
    base, auth = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {TOKEN}"}
    process = subprocess.Popen(
        [str(CLI), "serve", "--with-worker", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _until("the API", lambda: requests.get(f"{base}/healthz", timeout=2).ok)

        def shire_reachable() -> dict[str, object] | None:
            r = requests.get(f"{base}/api/v1/clusters/shire", headers=auth, timeout=5)
            body = r.json() if r.status_code == 200 else None
            return body if body and body["reachability"]["reachable"] else None  # type: ignore[index]

        body = _until("shire in the inventory", shire_reachable)
        assert body["source"] == "static" and body["devops_enabled"] is True and body["jenkins"] == "default"
        assert str(body["kubernetes_version"]).startswith("v1.")
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output[-2000:]
    assert "cluster inventory started: static" in output
    assert key not in output
