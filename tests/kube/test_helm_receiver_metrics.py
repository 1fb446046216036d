"""The webhook receiver's ``/metrics`` in the chart: beside serve (embedded SQLite) it listens on a port of
its own, ``webhooks.receiver.metricsPort`` (serve holds ``metrics.port`` in that pod), which the metrics
Service and the ServiceMonitor reach as ``webhook-metrics``; on its own pods (external database) it uses
``metrics.port`` like serve and the worker. With metrics off nothing of it renders."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures.kube import CRDS, KubeCluster, install_crd
from tests.fixtures.kube_binaries import KubeBinaries
from tests.kube.test_helm_chart import CHART, DATABASE_URL, _docs, _helm, _template
from tests.kube.test_helm_receiver import EXPOSED, _containers, _deployments

pytestmark = pytest.mark.kube

METRICS = ("metrics.enabled=true", "metrics.serviceMonitor.enabled=true")
SERVE = "bridge-jenkins-bridge-serve"
RECEIVE = "bridge-jenkins-bridge-receive"
WORKER = "bridge-jenkins-bridge-worker"


@pytest.fixture(scope="module")
def embedded(kube_binaries: KubeBinaries, tmp_path_factory: pytest.TempPathFactory) -> str:
    return _template(kube_binaries, tmp_path_factory.mktemp("helm"), *EXPOSED, *METRICS)


@pytest.fixture(scope="module")
def external(kube_binaries: KubeBinaries, tmp_path_factory: pytest.TempPathFactory) -> str:
    home = tmp_path_factory.mktemp("helm")
    return _template(kube_binaries, home, *EXPOSED, *METRICS, f"database.url={DATABASE_URL}")


def _one(docs: list[dict[str, Any]], kind: str, suffix: str = "") -> dict[str, Any]:
    (doc,) = [d for d in docs if d["kind"] == kind and d["metadata"]["name"].endswith(suffix)]
    return doc


def _reached(docs: list[dict[str, Any]], service: dict[str, Any]) -> dict[str, list[tuple[str, str, int]]]:
    """Per port of the Service: the (Deployment, container, containerPort) its selector and targetPort reach,
    resolved as the endpoints controller does (pods whose labels match, the container port of that name)."""
    selector = service["spec"]["selector"]
    reached: dict[str, list[tuple[str, str, int]]] = {p["name"]: [] for p in service["spec"]["ports"]}
    for port in service["spec"]["ports"]:
        for name, deployment in sorted(_deployments(docs).items()):
            labels = deployment["spec"]["template"]["metadata"]["labels"]
            if not all(labels.get(k) == v for k, v in selector.items()):
                continue
            for container in _containers(deployment).values():
                for p in container.get("ports", []):
                    if p["name"] == port["targetPort"]:
                        reached[port["name"]].append((name, container["name"], p["containerPort"]))
    return reached


def _settings(docs: list[dict[str, Any]], container: dict[str, Any], data_dir: Path) -> Any:
    """The settings the container's process loads: the ConfigMap and Secret (envFrom), then its env."""
    from bridge.settings import Settings

    env = {**_one(docs, "ConfigMap")["data"], **_one(docs, "Secret", "-bridge")["stringData"]}
    env["BRIDGE_DATA_DIR"] = str(data_dir)
    env.update({e["name"]: e["value"] for e in container.get("env", [])})  # env wins over envFrom
    return Settings.load(env)


def _listens(container: dict[str, Any], settings: Any) -> list[int]:
    """The ports the container's process binds: its --port argument and its metrics listener."""
    return [int(container["args"][container["args"].index("--port") + 1]), settings.metrics.port]


def test_beside_serve_the_receiver_serves_metrics_on_a_port_of_its_own(embedded: str, tmp_path: Path) -> None:
    docs = _docs(embedded)
    containers = _containers(_deployments(docs)[SERVE])
    serve = _settings(docs, containers["serve"], tmp_path)
    receive = _settings(docs, containers["receive"], tmp_path)
    assert (serve.metrics.port, serve.metrics.host) == (9090, "0.0.0.0")
    assert (receive.metrics.port, receive.metrics.host) == (9091, "0.0.0.0")
    # one network namespace: no port bound twice in the pod (before, both metrics listeners took 9090)
    bound = _listens(containers["serve"], serve) + _listens(containers["receive"], receive)
    assert sorted(bound) == [8080, 8081, 9090, 9091]
    assert containers["receive"]["ports"] == [
        {"name": "webhooks", "containerPort": 8081},
        {"name": "webhook-metrics", "containerPort": 9091},
    ]
    assert {"name": "metrics", "containerPort": 9090} in containers["serve"]["ports"]
    service = _one(docs, "Service", "-metrics")
    assert [(p["name"], p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [
        ("metrics", 9090, "metrics"),
        ("webhook-metrics", 9091, "webhook-metrics"),
    ]
    assert _reached(docs, service) == {
        "metrics": [(SERVE, "serve", 9090)],
        "webhook-metrics": [(SERVE, "receive", 9091)],
    }
    monitor = _one(docs, "ServiceMonitor")
    assert monitor["spec"]["endpoints"] == [
        {"port": "metrics", "path": "/metrics", "interval": "30s"},
        {"port": "webhook-metrics", "path": "/metrics", "interval": "30s"},
    ]
    labels = service["metadata"]["labels"]
    assert all(labels[k] == v for k, v in monitor["spec"]["selector"]["matchLabels"].items())


def test_on_its_own_pods_the_receiver_serves_metrics_like_serve_and_the_worker(
    external: str, tmp_path: Path
) -> None:
    docs = _docs(external)
    (receive,) = _containers(_deployments(docs)[RECEIVE]).values()
    settings = _settings(docs, receive, tmp_path)
    assert (settings.metrics.port, settings.metrics.host) == (9090, "0.0.0.0")
    assert sorted(_listens(receive, settings)) == [8081, 9090]
    assert receive["ports"] == [
        {"name": "webhooks", "containerPort": 8081},
        {"name": "metrics", "containerPort": 9090},
    ]
    service = _one(docs, "Service", "-metrics")
    assert [p["name"] for p in service["spec"]["ports"]] == ["metrics"]
    assert _reached(docs, service) == {
        "metrics": [(RECEIVE, "receive", 9090), (SERVE, "serve", 9090), (WORKER, "worker", 9090)],
    }
    endpoints = _one(docs, "ServiceMonitor")["spec"]["endpoints"]
    assert endpoints == [{"port": "metrics", "path": "/metrics", "interval": "30s"}]
    assert "webhook-metrics" not in yaml.safe_dump_all(docs)


@pytest.mark.parametrize("database", [(), (f"database.url={DATABASE_URL}",)], ids=["embedded", "external"])
def test_with_metrics_off_the_receiver_has_no_metrics_listener(
    kube_binaries: KubeBinaries, tmp_path: Path, database: tuple[str, ...]
) -> None:
    text = _template(kube_binaries, tmp_path, *EXPOSED, *database)
    docs = _docs(text)
    (receive,) = [
        c for d in _deployments(docs).values() for c in _containers(d).values() if c["name"] == "receive"
    ]
    assert _settings(docs, receive, tmp_path).metrics.port == 0
    assert receive["ports"] == [{"name": "webhooks", "containerPort": 8081}]
    assert not [d for d in docs if d["kind"] == "ServiceMonitor" or d["metadata"]["name"].endswith("metrics")]
    assert "webhook-metrics" not in yaml.safe_dump_all(docs) and "BRIDGE_METRICS_PORT" not in text


def test_a_receiver_metrics_port_taken_in_the_serve_pod_is_refused(
    kube_binaries: KubeBinaries, tmp_path: Path
) -> None:
    for taken in ("8080", "9090", "8081"):  # serve.port, metrics.port, webhooks.receiver.port
        args = ["template", "bridge", str(CHART)]
        for value in (*EXPOSED, *METRICS, f"webhooks.receiver.metricsPort={taken}"):
            args += ["--set", value]
        done = _helm(kube_binaries, *args, home=tmp_path)
        assert done.returncode != 0, taken
        assert "webhooks.receiver.metricsPort must differ from serve.port, metrics.port" in done.stderr, taken
    moved = _docs(
        _template(kube_binaries, tmp_path, *EXPOSED, *METRICS, "webhooks.receiver.metricsPort=9191")
    )
    service = _one(moved, "Service", "-metrics")
    assert _reached(moved, service)["webhook-metrics"] == [(SERVE, "receive", 9191)]
    # the receiver's own pods (external database) use metrics.port: the value is not used, nothing to refuse
    apart = (f"database.url={DATABASE_URL}", "webhooks.receiver.metricsPort=9090")
    rendered = _docs(_template(kube_binaries, tmp_path, *EXPOSED, *METRICS, *apart))
    assert "webhook-metrics" not in yaml.safe_dump_all(rendered)


def test_both_modes_pass_a_server_side_dry_run_without_port_warnings(
    embedded: str, external: str, kube_clusters: Mapping[str, KubeCluster]
) -> None:
    cluster = kube_clusters["rohan"]
    install_crd(cluster, CRDS / "monitoring.coreos.com_servicemonitors.yaml")
    created = cluster.kubectl("create", "namespace", "hooks-metrics")
    assert created.returncode == 0 or "AlreadyExists" in created.stderr, created.stderr

    def dry_run(text: str) -> Any:
        return cluster.kubectl(
            "apply", "--dry-run=server", "--validate=strict", "-n", "hooks-metrics", "-f", "-", stdin=text
        )

    for text, deployment in ((embedded, SERVE), (external, RECEIVE)):
        done = dry_run(text)
        assert done.returncode == 0, done.stderr
        for line in (
            f"deployment.apps/{deployment} created (server dry run)",
            "service/bridge-jenkins-bridge-metrics created (server dry run)",
            "servicemonitor.monitoring.coreos.com/bridge-jenkins-bridge created (server dry run)",
        ):
            assert line in done.stdout, done.stdout
        assert "duplicate port" not in done.stderr, done.stderr
    # the check can fail: both metrics listeners on 9090 in the one pod, as before, draws the server's warning
    clash = next(d for d in _docs(embedded) if d["kind"] == "Deployment")
    _containers(clash)["receive"]["ports"][1]["containerPort"] = 9090
    done = dry_run(yaml.safe_dump(clash))
    assert done.returncode == 0, done.stderr
    assert "containers[1].ports[1]: duplicate port definition with spec.template" in done.stderr, done.stderr


def test_notes_name_the_receivers_metrics_port(
    kube_clusters: Mapping[str, KubeCluster], kube_binaries: KubeBinaries, tmp_path: Path
) -> None:
    cluster = kube_clusters["rohan"]
    for database, beside in (((), True), ((f"database.url={DATABASE_URL}",), False)):
        args = ["install", "bridge", str(CHART), "-n", "hooks-metrics", "--dry-run=server"]
        args += ["--kubeconfig", str(cluster.kubeconfig_path)]
        for value in (*EXPOSED, *METRICS, *database):
            args += ["--set", value]
        done = _helm(kube_binaries, *args, home=tmp_path)
        assert done.returncode == 0, done.stderr
        notes = " ".join(done.stdout.split("NOTES:", 1)[1].split())
        assert "Metrics: /metrics on port 9090 of every bridge pod" in notes
        assert ("(the receiver beside serve: port 9091)" in notes) is beside, notes
