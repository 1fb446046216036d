"""The chart under helm/ lints, renders, and its manifests pass a server-side dry run on a real apiserver."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.fernet import Fernet

from tests.fixtures.kube import KubeCluster
from tests.fixtures.kube_binaries import KubeBinaries

pytestmark = pytest.mark.kube

CHART = Path(__file__).resolve().parents[2] / "helm"
DATABASE_URL = "postgresql+psycopg://bridge:pw@db.devops:5432/bridge"


def _helm(binaries: KubeBinaries, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """helm with its caches and config in a test folder, so nothing is written to the user's home (nor,
    without HOME, a .kube/cache discovery cache into the working directory)."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }
    return subprocess.run(
        [str(binaries.helm), *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


def _template(binaries: KubeBinaries, home: Path, *sets: str) -> str:
    args = ["template", "bridge", str(CHART), "--namespace", "devops"]
    for value in sets:
        args += ["--set", value]
    done = _helm(binaries, *args, home=home)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def rendered(kube_binaries: KubeBinaries, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The chart with an external PostgreSQL: the API scales out, one worker reconciles."""
    home = tmp_path_factory.mktemp("helm")
    return _template(kube_binaries, home, "serve.replicas=2", f"database.url={DATABASE_URL}")


@pytest.fixture(scope="module")
def embedded(kube_binaries: KubeBinaries, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The chart's defaults: embedded SQLite, API and worker in one pod."""
    return _template(kube_binaries, tmp_path_factory.mktemp("helm"), "serve.replicas=2")


def _docs(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


def _args(deployment: dict[str, Any]) -> list[list[str]]:
    return [c["args"] for c in deployment["spec"]["template"]["spec"]["containers"]]


def test_chart_lints(kube_binaries: KubeBinaries, tmp_path: Path) -> None:
    done = _helm(kube_binaries, "lint", "--strict", str(CHART), home=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 chart(s) failed" in done.stdout


def test_with_an_external_database_the_api_scales_and_one_worker_reconciles(rendered: str) -> None:
    docs = _docs(rendered)
    kinds = sorted((d["kind"], d["metadata"]["name"]) for d in docs)
    assert kinds == [
        ("ConfigMap", "bridge-jenkins-bridge"),
        ("Deployment", "bridge-jenkins-bridge-serve"),
        ("Deployment", "bridge-jenkins-bridge-worker"),
        ("Job", "bridge-jenkins-bridge-db-upgrade"),  # the pre-upgrade hook
        ("PodDisruptionBudget", "bridge-jenkins-bridge-serve"),  # two API replicas
        ("Secret", "bridge-jenkins-bridge"),
        ("Service", "bridge-jenkins-bridge"),
        ("ServiceAccount", "bridge-jenkins-bridge"),
    ]
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    serve, worker = deployments["bridge-jenkins-bridge-serve"], deployments["bridge-jenkins-bridge-worker"]
    assert serve["spec"]["replicas"] == 2
    assert worker["spec"]["replicas"] == 1
    assert worker["spec"]["strategy"]["type"] == "Recreate"
    assert _args(serve) == [["serve", "--host", "0.0.0.0", "--port", "8080"]]
    assert _args(worker) == [["worker"]]
    secret = next(d for d in docs if d["kind"] == "Secret")
    assert secret["stringData"]["BRIDGE_DATABASE_URL"] == DATABASE_URL


def test_embedded_sqlite_runs_api_and_worker_in_one_pod_on_a_volume(embedded: str) -> None:
    docs = _docs(embedded)
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    assert [d["metadata"]["name"] for d in deployments] == ["bridge-jenkins-bridge-serve"]
    (serve,) = deployments
    assert serve["spec"]["replicas"] == 1, "two pods must never share the SQLite file"
    assert serve["spec"]["strategy"]["type"] == "Recreate"
    assert _args(serve) == [["serve", "--host", "0.0.0.0", "--port", "8080", "--with-worker"]]
    volumes = {v["name"]: v for v in serve["spec"]["template"]["spec"]["volumes"]}
    (claim,) = [d for d in docs if d["kind"] == "PersistentVolumeClaim"]
    assert volumes["data"]["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    mounts = serve["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    assert {"name": "data", "mountPath": config["BRIDGE_DATA_DIR"]} in mounts


def test_the_generated_secret_key_is_a_key_the_bridge_accepts(embedded: str) -> None:
    secret = next(d for d in _docs(embedded) if d["kind"] == "Secret")
    Fernet(secret["stringData"]["BRIDGE_SECRET_KEY"].encode())  # raises on anything but a Fernet key


def test_the_api_listens_where_the_service_and_probes_point(embedded: str) -> None:
    docs = _docs(embedded)
    serve = next(d for d in docs if d["kind"] == "Deployment")
    (container,) = serve["spec"]["template"]["spec"]["containers"]
    port = int(container["args"][container["args"].index("--port") + 1])
    assert container["ports"] == [{"name": "http", "containerPort": port}]
    service = next(d for d in docs if d["kind"] == "Service")
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http", "scheme": "HTTP"}
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"


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
    serve = next(
        d
        for d in docs
        if d["kind"] == "Deployment" and d["metadata"]["name"] == "bridge-jenkins-bridge-serve"
    )
    serve["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] = "other"
    cluster = kube_clusters["gondor"]
    cluster.kubectl("create", "namespace", "devops")
    done = cluster.kubectl(
        "apply", "--dry-run=server", "-n", "devops", "-f", "-", stdin=yaml.safe_dump(serve)
    )
    assert done.returncode != 0
    assert "`selector` does not match template `labels`" in done.stderr


def test_embedded_manifests_pass_server_side_dry_run(
    embedded: str, kube_clusters: Mapping[str, KubeCluster]
) -> None:
    cluster = kube_clusters["shire"]
    created = cluster.kubectl("create", "namespace", "devops")
    assert created.returncode == 0 or "AlreadyExists" in created.stderr, created.stderr
    done = cluster.kubectl("apply", "--dry-run=server", "-n", "devops", "-f", "-", stdin=embedded)
    assert done.returncode == 0, done.stderr
    assert "persistentvolumeclaim/bridge-jenkins-bridge-data created (server dry run)" in done.stdout


OWNER_URL = "postgresql+psycopg://owner:owner-pw@db.devops:5432/bridge"


@pytest.fixture(scope="module")
def runtime_role(kube_binaries: KubeBinaries, tmp_path_factory: pytest.TempPathFactory) -> str:
    """External PostgreSQL with a runtime role separate from the tables' owner."""
    return _template(
        kube_binaries,
        tmp_path_factory.mktemp("helm"),
        f"database.url={DATABASE_URL}",
        "database.runtimeRole=bridge_runtime",
        f"database.owner.url={OWNER_URL}",
    )


def test_with_a_runtime_role_the_owner_migrates_and_grants_and_only_init_containers_see_it(
    runtime_role: str,
) -> None:
    docs = _docs(runtime_role)
    owner_secret = next(
        d for d in docs if d["kind"] == "Secret" and d["metadata"]["name"].endswith("-db-owner")
    )
    assert owner_secret["stringData"] == {"BRIDGE_DATABASE_URL": OWNER_URL}
    main_secret = next(d for d in docs if d["kind"] == "Secret" and d is not owner_secret)
    assert main_secret["stringData"]["BRIDGE_DATABASE_URL"] == DATABASE_URL
    assert OWNER_URL not in yaml.safe_dump(main_secret)
    for deployment in (d for d in docs if d["kind"] == "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        inits = pod["initContainers"]
        assert [c["args"] for c in inits] == [
            ["db", "migrate"],
            ["db", "grant-runtime-role", "bridge_runtime"],
        ]
        for init in inits:
            (url,) = [e for e in init["env"] if e["name"] == "BRIDGE_DATABASE_URL"]
            assert url["valueFrom"]["secretKeyRef"]["name"] == owner_secret["metadata"]["name"]
        for container in pod["containers"]:
            assert owner_secret["metadata"]["name"] not in yaml.safe_dump(container)


def test_without_a_runtime_role_nothing_changes(rendered: str, embedded: str) -> None:
    for text in (rendered, embedded):
        docs = _docs(text)
        assert all(
            "initContainers" not in d["spec"]["template"]["spec"] for d in docs if d["kind"] == "Deployment"
        )
        assert not [d for d in docs if d["metadata"]["name"].endswith("-db-owner")]


def test_a_runtime_role_without_the_owner_url_is_refused(kube_binaries: KubeBinaries, tmp_path: Path) -> None:
    args = [
        "template",
        "bridge",
        str(CHART),
        "--set",
        f"database.url={DATABASE_URL}",
        "--set",
        "database.runtimeRole=r",
    ]
    done = _helm(kube_binaries, *args, home=tmp_path)
    assert done.returncode != 0 and "database.owner.url" in done.stderr


PROXY_TOKEN = "chart-proxy-token-0123456789abcdef-xyz"


def test_the_proxy_token_goes_into_the_secret_only(kube_binaries: KubeBinaries, tmp_path: Path) -> None:
    docs = _docs(_template(kube_binaries, tmp_path, f"secrets.proxyToken={PROXY_TOKEN}"))
    secret = next(d for d in docs if d["kind"] == "Secret")
    assert secret["stringData"]["BRIDGE_AUTH_PROXY_TOKEN"] == PROXY_TOKEN
    for doc in docs:
        if doc["kind"] != "Secret":
            assert PROXY_TOKEN not in yaml.safe_dump(doc), doc["kind"]
    serve = next(d for d in docs if d["kind"] == "Deployment")
    env_from = serve["spec"]["template"]["spec"]["containers"][0]["envFrom"]
    assert {"secretRef": {"name": secret["metadata"]["name"]}} in env_from


@pytest.mark.parametrize("name", ["AUTH_PROXY_TOKEN", "ADMIN_TOKEN", "JENKINS_TOKEN", "SECRET_KEY"])
def test_a_secret_under_settings_fails_the_render(
    kube_binaries: KubeBinaries, tmp_path: Path, name: str
) -> None:
    done = _helm(
        kube_binaries,
        "template",
        "bridge",
        str(CHART),
        "--namespace",
        "devops",
        "--set",
        f"settings.{name}={PROXY_TOKEN}",
        home=tmp_path,
    )
    assert done.returncode != 0
    assert f"settings.{name} is secret" in done.stderr
    assert PROXY_TOKEN not in done.stdout


def test_the_webhook_receiver_alone_can_be_exposed(kube_binaries: KubeBinaries, tmp_path: Path) -> None:
    """``webhooks.ingress`` routes only the receiver's ``/webhooks/`` prefix to a Service of the serve
    pods (their ``receive`` container: embedded SQLite); the default chart exposes nothing."""
    assert not [d for d in _docs(_template(kube_binaries, tmp_path)) if d["kind"] == "Ingress"]
    text = _template(
        kube_binaries, tmp_path, "webhooks.ingress.enabled=true", "webhooks.ingress.host=hooks.example.com"
    )
    docs = _docs(text)
    [ingress] = [d for d in docs if d["kind"] == "Ingress"]
    [rule] = ingress["spec"]["rules"]
    assert rule["host"] == "hooks.example.com"
    paths = rule["http"]["paths"]
    assert [(p["path"], p["pathType"]) for p in paths] == [("/webhooks/", "Prefix")]
    backends = {p["backend"]["service"]["name"] for p in paths}
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    [name] = backends
    assert name.endswith("-webhooks") and name in services
    assert services[name]["spec"]["selector"]["app.kubernetes.io/component"] == "serve"
    assert [p["targetPort"] for p in services[name]["spec"]["ports"]] == ["webhooks"]
    api = [n for n in services if n != name]
    assert api and all(n not in backends for n in api), "the API Service is not behind the Ingress"
