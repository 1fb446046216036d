"""The chart runs ``jenkins-bridge receive`` when webhooks are exposed, and the webhooks Service points at it:
a second container of the serve pod with embedded SQLite (the file is on that pod's volume), a Deployment of
its own with an external PostgreSQL. Nothing of it renders when webhooks are not exposed."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures.kube import KubeCluster
from tests.fixtures.kube_binaries import KubeBinaries
from tests.kube.test_helm_chart import CHART, DATABASE_URL, _docs, _helm, _template

pytestmark = pytest.mark.kube

EXPOSED = ("webhooks.ingress.enabled=true", "webhooks.ingress.host=hooks.example.com")
RECEIVE_ARGS = ["receive", "--host", "0.0.0.0", "--port", "8081"]


@pytest.fixture(scope="module")
def embedded(kube_binaries: KubeBinaries, tmp_path_factory: pytest.TempPathFactory) -> str:
    return _template(kube_binaries, tmp_path_factory.mktemp("helm"), *EXPOSED)


@pytest.fixture(scope="module")
def external(kube_binaries: KubeBinaries, tmp_path_factory: pytest.TempPathFactory) -> str:
    return _template(kube_binaries, tmp_path_factory.mktemp("helm"), *EXPOSED, f"database.url={DATABASE_URL}")


def _deployments(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}


def _containers(deployment: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in deployment["spec"]["template"]["spec"]["containers"]}


def _webhooks_service(docs: list[dict[str, Any]]) -> dict[str, Any]:
    (service,) = [d for d in docs if d["kind"] == "Service" and d["metadata"]["name"].endswith("-webhooks")]
    return service


def _backends(docs: list[dict[str, Any]], service: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(Deployment, container, containerPort) of every port the Service's selector and targetPort reach,
    resolved as the endpoints controller does: pods whose labels match, the container port of that name."""
    selector, (port,) = service["spec"]["selector"], service["spec"]["ports"]
    found = []
    for name, deployment in _deployments(docs).items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        if all(labels.get(k) == v for k, v in selector.items()):
            for container in _containers(deployment).values():
                for p in container.get("ports", []):
                    if p["name"] == port["targetPort"]:
                        found.append((name, container["name"], p["containerPort"]))
    return found


def _assert_the_receiver_container(receive: dict[str, Any], serve: dict[str, Any]) -> None:
    assert receive["args"] == RECEIVE_ARGS
    assert receive["ports"] == [{"name": "webhooks", "containerPort": 8081}]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert receive[probe]["httpGet"] == {"path": "/healthz", "port": "webhooks", "scheme": "HTTP"}, probe
    # the chart's one container helper: the same image, settings, Secrets, mounts and hardening as serve
    for key in ("image", "envFrom", "volumeMounts", "securityContext"):
        assert receive[key] == serve[key], key
    assert receive["resources"]["limits"]["memory"]


def test_embedded_sqlite_runs_the_receiver_beside_the_api_in_the_one_pod(embedded: str) -> None:
    docs = _docs(embedded)
    deployments = _deployments(docs)
    assert list(deployments) == ["bridge-jenkins-bridge-serve"], "no second pod on the SQLite file"
    serve_deployment = deployments["bridge-jenkins-bridge-serve"]
    assert serve_deployment["spec"]["replicas"] == 1
    containers = _containers(serve_deployment)
    assert list(containers) == ["serve", "receive"]
    _assert_the_receiver_container(containers["receive"], containers["serve"])
    assert containers["serve"]["args"][-1] == "--with-worker", "the worker turns deliveries into runs"
    service = _webhooks_service(docs)
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "serve"
    assert _backends(docs, service) == [("bridge-jenkins-bridge-serve", "receive", 8081)]
    api = next(d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == "bridge-jenkins-bridge")
    assert _backends(docs, api) == [("bridge-jenkins-bridge-serve", "serve", 8080)], "the API stays serve's"


def test_an_external_database_runs_the_receiver_as_a_deployment_of_its_own(external: str) -> None:
    docs = _docs(external)
    deployments = _deployments(docs)
    assert sorted(deployments) == [
        "bridge-jenkins-bridge-receive", "bridge-jenkins-bridge-serve", "bridge-jenkins-bridge-worker",
    ]  # fmt: skip
    receive = deployments["bridge-jenkins-bridge-receive"]
    assert receive["spec"]["replicas"] == 2
    assert receive["metadata"]["labels"]["app.kubernetes.io/component"] == "receive"
    assert receive["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == "receive"
    pod, serve_pod = receive["spec"]["template"]["spec"], deployments["bridge-jenkins-bridge-serve"]["spec"]
    assert pod["volumes"] == serve_pod["template"]["spec"]["volumes"]
    assert pod["serviceAccountName"] == serve_pod["template"]["spec"]["serviceAccountName"]
    serve = _containers(deployments["bridge-jenkins-bridge-serve"])
    assert list(serve) == ["serve"], "the API pods run no receiver"
    (only,) = _containers(receive).values()
    assert only["name"] == "receive"
    _assert_the_receiver_container(only, serve["serve"])
    service = _webhooks_service(docs)
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "receive"
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["webhooks"]
    assert _backends(docs, service) == [("bridge-jenkins-bridge-receive", "receive", 8081)]


def test_the_receiver_pods_get_no_service_account_token(kube_binaries: KubeBinaries, tmp_path: Path) -> None:
    """The internet-facing pods never call the Kubernetes API, even when serve and the worker do (here: to
    read Argo CD's cluster Secrets and to review tokens)."""
    kube = ("clusters.sources={argocd}", "auth.tokenReview=true")
    docs = _docs(_template(kube_binaries, tmp_path, *EXPOSED, f"database.url={DATABASE_URL}", *kube))
    pods = {name: d["spec"]["template"]["spec"] for name, d in _deployments(docs).items()}
    assert pods.pop("bridge-jenkins-bridge-receive")["automountServiceAccountToken"] is False
    assert {name: pod["automountServiceAccountToken"] for name, pod in pods.items()} == {
        "bridge-jenkins-bridge-serve": True,
        "bridge-jenkins-bridge-worker": True,
    }


def test_the_receiver_scales_and_keeps_a_disruption_budget(
    kube_binaries: KubeBinaries, tmp_path: Path
) -> None:
    docs = _docs(
        _template(
            kube_binaries, tmp_path, *EXPOSED, f"database.url={DATABASE_URL}", "webhooks.receiver.replicas=3"
        )
    )
    assert _deployments(docs)["bridge-jenkins-bridge-receive"]["spec"]["replicas"] == 3
    budgets = {d["metadata"]["name"]: d for d in docs if d["kind"] == "PodDisruptionBudget"}
    assert list(budgets) == ["bridge-jenkins-bridge-receive"], "one API replica: no budget for serve"
    selector = budgets["bridge-jenkins-bridge-receive"]["spec"]["selector"]["matchLabels"]
    assert selector["app.kubernetes.io/component"] == "receive"
    single = _docs(
        _template(
            kube_binaries, tmp_path, *EXPOSED, f"database.url={DATABASE_URL}", "webhooks.receiver.replicas=1"
        )
    )
    assert not [d for d in single if d["kind"] == "PodDisruptionBudget"]


@pytest.mark.parametrize("database", [(), (f"database.url={DATABASE_URL}",)], ids=["embedded", "external"])
def test_nothing_of_the_receiver_renders_when_webhooks_are_not_exposed(
    kube_binaries: KubeBinaries, tmp_path: Path, database: tuple[str, ...]
) -> None:
    docs = _docs(_template(kube_binaries, tmp_path, *database))
    assert not [d for d in docs if d["metadata"]["name"].endswith(("-receive", "-webhooks"))]
    for deployment in _deployments(docs).values():
        for container in _containers(deployment).values():
            assert container["name"] != "receive" and container["args"][0] != "receive"
            assert "webhooks" not in [p["name"] for p in container.get("ports", [])]
    # the Service alone (no Ingress) exposes the receiver too
    service_only = _docs(_template(kube_binaries, tmp_path, *database, "webhooks.service.enabled=true"))
    assert _backends(service_only, _webhooks_service(service_only))


def test_the_receiver_gets_the_settings_and_no_tls_of_its_own(
    kube_binaries: KubeBinaries, tmp_path: Path
) -> None:
    """The environment each container sees, loaded by the bridge's own settings: serve terminates TLS with
    the mounted certificate; the receiver (which refuses a certificate) has the TLS settings emptied."""
    from bridge.settings import Settings

    docs = _docs(_template(kube_binaries, tmp_path, *EXPOSED, "tls.existingSecret=bridge-tls"))
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    secret = next(d for d in docs if d["kind"] == "Secret")["stringData"]
    tls = tmp_path / "tls"  # the mounted kubernetes.io/tls Secret
    tls.mkdir()
    (tls / "tls.crt").write_text("certificate", encoding="utf-8")
    (tls / "tls.key").write_text("key", encoding="utf-8")
    containers = _containers(_deployments(docs)["bridge-jenkins-bridge-serve"])

    def seen_by(container: dict[str, Any]) -> Settings:
        env = {**config, **secret, "BRIDGE_DATA_DIR": str(tmp_path)}
        env.update({e["name"]: e["value"] for e in container.get("env", [])})  # env wins over envFrom
        env = {k: v.replace("/etc/jenkins-bridge/tls", str(tls)) for k, v in env.items()}
        return Settings.load(env)

    assert seen_by(containers["serve"]).api.tls_cert == str(tls / "tls.crt")
    receiver = seen_by(containers["receive"])
    assert (receiver.api.tls_cert, receiver.api.tls_key) == ("", "")
    assert receiver.secret_key.get_secret_value() == secret["BRIDGE_SECRET_KEY"]


def test_a_receiver_port_taken_in_the_serve_pod_is_refused(
    kube_binaries: KubeBinaries, tmp_path: Path
) -> None:
    for taken in (("webhooks.receiver.port=8080",), ("metrics.enabled=true", "webhooks.receiver.port=9090")):
        args = ["template", "bridge", str(CHART)]
        for value in (*EXPOSED, *taken):
            args += ["--set", value]
        done = _helm(kube_binaries, *args, home=tmp_path)
        assert done.returncode != 0 and "webhooks.receiver.port must differ" in done.stderr, taken
    apart = _template(
        kube_binaries, tmp_path, *EXPOSED, f"database.url={DATABASE_URL}", "webhooks.receiver.port=8080"
    )
    assert _backends(_docs(apart), _webhooks_service(_docs(apart)))[0][2] == 8080, "own pods: no clash"


def test_both_modes_pass_a_server_side_dry_run(
    embedded: str, external: str, kube_clusters: Mapping[str, KubeCluster]
) -> None:
    cluster = kube_clusters["rohan"]
    created = cluster.kubectl("create", "namespace", "hooks")
    assert created.returncode == 0 or "AlreadyExists" in created.stderr, created.stderr
    for text, line in (
        (embedded, "deployment.apps/bridge-jenkins-bridge-serve created (server dry run)"),
        (external, "deployment.apps/bridge-jenkins-bridge-receive created (server dry run)"),
    ):
        done = cluster.kubectl(
            "apply", "--dry-run=server", "--validate=strict", "-n", "hooks", "-f", "-", stdin=text
        )
        assert done.returncode == 0, done.stderr
        assert line in done.stdout and "service/bridge-jenkins-bridge-webhooks created" in done.stdout
    # the check can fail: a container port name the server's validation refuses
    broken = next(d for d in _docs(embedded) if d["kind"] == "Deployment")
    _containers(broken)["receive"]["ports"][0]["name"] = "webhooks-port-too-long"
    done = cluster.kubectl(
        "apply", "--dry-run=server", "-n", "hooks", "-f", "-", stdin=yaml.safe_dump(broken)
    )
    assert done.returncode != 0 and "must be no more than 15 characters" in done.stderr, done.stderr


def test_notes_name_the_receiver(
    kube_clusters: Mapping[str, KubeCluster], kube_binaries: KubeBinaries, tmp_path: Path
) -> None:
    cluster = kube_clusters["rohan"]
    for database, where in (
        ((), "of the container `receive` in the serve pod"),
        ((f"database.url={DATABASE_URL}",), "of the Deployment bridge-jenkins-bridge-receive (2 replica(s))"),
    ):
        args = ["install", "bridge", str(CHART), "-n", "hooks", "--dry-run=server"]
        args += ["--kubeconfig", str(cluster.kubeconfig_path)]
        for value in (*EXPOSED, *database):
            args += ["--set", value]
        done = _helm(kube_binaries, *args, home=tmp_path)
        assert done.returncode == 0, done.stderr
        notes = " ".join(done.stdout.split("NOTES:", 1)[1].split())
        assert f"`jenkins-bridge receive` answers them on port 8081 {where}" in notes
        assert "set settings.API_TRUSTED_PROXY_HOPS" in notes
        assert "https://hooks.example.com/webhooks/" not in notes  # no tls on the Ingress: http
        assert "http://hooks.example.com/webhooks/" in notes
