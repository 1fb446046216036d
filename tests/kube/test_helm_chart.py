"""The chart under helm/ lints, renders, and its manifests pass a server-side dry run on a real apiserver."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from tests.fixtures.kube import KubeCluster
from tests.fixtures.kube_binaries import KubeBinaries

pytestmark = pytest.mark.kube

CHART = Path(__file__).resolve().parents[2] / "helm"


def _helm(binaries: KubeBinaries, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """helm with its caches and config in a test folder, so nothing is written to the user's home."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }
    return subprocess.run(
        [str(binaries.helm), *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


@pytest.fixture(scope="module")
def rendered(kube_binaries: KubeBinaries, tmp_path_factory: pytest.TempPathFactory) -> str:
    home = tmp_path_factory.mktemp("helm")
    done = _helm(
        kube_binaries,
        "template",
        "bridge",
        str(CHART),
        "--namespace",
        "devops",
        "--set",
        "serve.replicas=2",
        home=home,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_chart_lints(kube_binaries: KubeBinaries, tmp_path: Path) -> None:
    done = _helm(kube_binaries, "lint", "--strict", str(CHART), home=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 chart(s) failed" in done.stdout


def test_chart_renders_the_expected_objects(rendered: str) -> None:
    docs = [d for d in yaml.safe_load_all(rendered) if d]
    kinds = sorted((d["kind"], d["metadata"]["name"]) for d in docs)
    assert kinds == [
        ("ClusterRole", "bridge-jenkins-bridge"),
        ("ClusterRoleBinding", "bridge-jenkins-bridge"),
        ("ConfigMap", "bridge-jenkins-bridge"),
        ("Deployment", "bridge-jenkins-bridge-serve"),
        ("Deployment", "bridge-jenkins-bridge-worker"),
        ("Secret", "bridge-jenkins-bridge"),
        ("Service", "bridge-jenkins-bridge"),
        ("ServiceAccount", "bridge-jenkins-bridge"),
    ]
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    serve, worker = deployments["bridge-jenkins-bridge-serve"], deployments["bridge-jenkins-bridge-worker"]
    assert serve["spec"]["replicas"] == 2
    assert worker["spec"]["replicas"] == 1
    assert worker["spec"]["strategy"]["type"] == "Recreate"
    assert [c["args"] for c in serve["spec"]["template"]["spec"]["containers"]] == [["serve"]]
    assert [c["args"] for c in worker["spec"]["template"]["spec"]["containers"]] == [["worker"]]
    secret = next(d for d in docs if d["kind"] == "Secret")
    assert len(secret["stringData"]["BRIDGE_SECRET_KEY"]) == 48


def test_rendered_manifests_pass_server_side_dry_run(
    rendered: str, kube_clusters: Mapping[str, KubeCluster]
) -> None:
    cluster = kube_clusters["gondor"]
    created = cluster.kubectl("create", "namespace", "devops")
    assert created.returncode == 0 or "AlreadyExists" in created.stderr, created.stderr
    done = cluster.kubectl("apply", "--dry-run=server", "-n", "devops", "-f", "-", stdin=rendered)
    assert done.returncode == 0, done.stderr
    assert "deployment.apps/bridge-jenkins-bridge-worker created (server dry run)" in done.stdout
    # dry run: nothing was stored
    assert cluster.kubectl("get", "deployments", "-n", "devops", "-o", "name").stdout.strip() == ""


def test_server_side_dry_run_rejects_what_only_the_server_checks(
    rendered: str, kube_clusters: Mapping[str, KubeCluster]
) -> None:
    docs = [d for d in yaml.safe_load_all(rendered) if d]
    serve = next(d for d in docs if d["metadata"]["name"] == "bridge-jenkins-bridge-serve")
    serve["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] = "other"
    cluster = kube_clusters["gondor"]
    cluster.kubectl("create", "namespace", "devops")
    done = cluster.kubectl(
        "apply", "--dry-run=server", "-n", "devops", "-f", "-", stdin=yaml.safe_dump(serve)
    )
    assert done.returncode != 0
    assert "`selector` does not match template `labels`" in done.stderr
