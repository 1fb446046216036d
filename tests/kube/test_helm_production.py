"""What makes the chart production-grade: values.schema.json refuses bad values, every pod is hardened and
sized, secrets only in Secrets, the pre-upgrade migration Job, the webhook receiver on its own, metrics,
the PodDisruptionBudget and NOTES.txt; the full render passes a server-side dry run on a real apiserver."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures.kube import CRDS, KubeCluster, install_crd
from tests.fixtures.kube_binaries import KubeBinaries
from tests.kube.test_helm_chart import CHART, DATABASE_URL, OWNER_URL, _docs, _helm, _template

pytestmark = pytest.mark.kube

ADMIN = "admin-token-0123456789abcdef"
JENKINS = "11aaaabbbbccccddddeeeeffff00001111"
PROXY = "proxy-token-0123456789abcdef-0123456789"
KEY = "GZtcw_CDS_Nu7hGYxjPXNUIVDjYFcR_7SU690eJ6HTA="
PREVIOUS = ("fTS_tUG15kAW587QBnDugPwn4sfNlvXI7u-3MrYVrnY=", "h_meuXJ3yGDcRM8TKT0tI2cipBkHPec66ACcUgYORv4=")
EVERYTHING = (
    "serve.replicas=3",
    f"database.url={DATABASE_URL}",
    "database.runtimeRole=bridge_runtime",
    f"database.owner.url={OWNER_URL}",
    f"secrets.adminToken={ADMIN}",
    f"secrets.jenkinsToken={JENKINS}",
    f"secrets.proxyToken={PROXY}",
    f"secrets.secretKey={KEY}",
    f"secrets.secretKeyPrevious={PREVIOUS[0]}\\,{PREVIOUS[1]}",
    "metrics.enabled=true",
    "metrics.serviceMonitor.enabled=true",
    "webhooks.ingress.enabled=true",
    "webhooks.ingress.host=hooks.example.org",
    "clusters.sources={kubesphere,argocd,static}",
    "clusters.static.existingSecret=kubeconfigs",
    "clusters.static.clusters={rohan,gondor,shire}",
    "auth.tokenReview=true",
    "settings.JENKINS_URL=http://jenkins.devops:8080/",
    "settings.JENKINS_USER=jenkins-bridge",
)


@pytest.fixture(scope="module")
def everything(kube_binaries: KubeBinaries, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return _docs(_template(kube_binaries, tmp_path_factory.mktemp("helm"), *EVERYTHING))


def _pods(docs: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for doc in docs:
        if doc["kind"] in ("Deployment", "Job"):
            yield doc["metadata"]["name"], doc["spec"]["template"]["spec"]


def _named(docs: list[dict[str, Any]], kind: str, suffix: str = "") -> dict[str, Any]:
    (doc,) = [d for d in docs if d["kind"] == kind and d["metadata"]["name"].endswith(suffix)]
    return doc


@pytest.mark.parametrize(
    "value, where",
    [
        ("serve.replicas=0", "/serve/replicas"),
        ("serve.port=80", "/serve/port"),
        ("image.pullPolicy=Sometimes", "/image/pullPolicy"),
        ("database.url=mysql://bridge@db/bridge", "/database/url"),
        ("clusters.sources={aws}", "/clusters/sources/0"),
        ("secrets.adminToken=short", "/secrets/adminToken"),
        ("secrets.secretKey=not-a-fernet-key", "/secrets/secretKey"),
        ("secrets.secretKeyPrevious=old-key", "/secrets/secretKeyPrevious"),
        ("secrets.proxyToken=too-short-for-a-proxy", "/secrets/proxyToken"),
        ("securityContext.readOnlyRootFilesystem=false", "/securityContext/readOnlyRootFilesystem"),
        ("securityContext.allowPrivilegeEscalation=true", "/securityContext/allowPrivilegeEscalation"),
        ("podSecurityContext.runAsNonRoot=false", "/podSecurityContext/runAsNonRoot"),
        ("metrics.serviceMonitor.interval=often", "/metrics/serviceMonitor/interval"),
        ("webhooks.receiver.port=80", "/webhooks/receiver/port"),
        ("webhooks.receiver.replicas=0", "/webhooks/receiver/replicas"),
        ("webhooks.receiver.metricsPort=80", "/webhooks/receiver/metricsPort"),
        ("databse.url=x", "additional properties 'databse' not allowed"),
    ],
)
def test_the_schema_refuses_bad_values(
    kube_binaries: KubeBinaries, tmp_path: Path, value: str, where: str
) -> None:
    done = _helm(kube_binaries, "template", "bridge", str(CHART), "--set", value, home=tmp_path)
    assert done.returncode != 0
    assert "values don't meet the specifications of the schema" in done.stderr
    assert where in done.stderr, done.stderr


def test_the_schema_accepts_the_full_value_set(everything: list[dict[str, Any]]) -> None:
    kinds = sorted({d["kind"] for d in everything})
    assert kinds == [
        "ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment", "Ingress", "Job",
        "PodDisruptionBudget", "Role", "RoleBinding", "Secret", "Service", "ServiceAccount", "ServiceMonitor",
    ]  # fmt: skip


def test_every_pod_is_hardened_and_sized(everything: list[dict[str, Any]]) -> None:
    pods = dict(_pods(everything))
    assert set(pods) == {
        "bridge-jenkins-bridge-serve", "bridge-jenkins-bridge-worker", "bridge-jenkins-bridge-db-upgrade",
        "bridge-jenkins-bridge-receive",
    }  # fmt: skip
    for name, pod in pods.items():
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        for container in pod["containers"] + pod.get("initContainers", []):
            where = f"{name}/{container['name']}"
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"] == {"drop": ["ALL"]}, where
            assert container["resources"]["requests"]["memory"], where
            assert container["resources"]["limits"]["memory"], where
            assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"], where
    serve = pods["bridge-jenkins-bridge-serve"]["containers"][0]
    assert serve["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert serve["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert serve["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_secrets_are_only_in_secrets(everything: list[dict[str, Any]]) -> None:
    values = [ADMIN, JENKINS, PROXY, DATABASE_URL, OWNER_URL, KEY, *PREVIOUS]
    for doc in everything:
        if doc["kind"] != "Secret":
            text = yaml.safe_dump(doc)
            assert not [v for v in values if v in text], doc["kind"]
    main = _named(everything, "Secret", "-bridge")["stringData"]
    assert {k: main[k] for k in main if k != "BRIDGE_SECRET_KEY"} == {
        "BRIDGE_DATABASE_URL": DATABASE_URL,
        "BRIDGE_ADMIN_TOKEN": ADMIN,
        "BRIDGE_JENKINS_TOKEN": JENKINS,
        "BRIDGE_AUTH_PROXY_TOKEN": PROXY,
        "BRIDGE_SECRET_KEY_PREVIOUS": ",".join(PREVIOUS),
    }
    config = _named(everything, "ConfigMap")["data"]
    secret_names = {
        "BRIDGE_SECRET_KEY",
        "BRIDGE_ADMIN_TOKEN",
        "BRIDGE_JENKINS_TOKEN",
        "BRIDGE_AUTH_PROXY_TOKEN",
        "BRIDGE_SECRET_KEY_PREVIOUS",
    }
    assert not (secret_names | {"BRIDGE_DATABASE_URL"}) & set(config)


def test_an_existing_secret_replaces_the_charts(kube_binaries: KubeBinaries, tmp_path: Path) -> None:
    docs = _docs(_template(kube_binaries, tmp_path, "secrets.existingSecret=bridge-secrets"))
    assert not [d for d in docs if d["kind"] == "Secret"]
    (_, pod), = _pods(docs)  # fmt: skip
    assert {"secretRef": {"name": "bridge-secrets"}} in pod["containers"][0]["envFrom"]


def test_a_password_in_the_jenkins_url_setting_is_refused(
    kube_binaries: KubeBinaries, tmp_path: Path
) -> None:
    args = ["template", "bridge", str(CHART), "--set", "settings.JENKINS_URL=http://u:pw@jenkins:8080/"]
    done = _helm(kube_binaries, *args, home=tmp_path)
    assert done.returncode != 0 and "JENKINS_URL must not carry user:password@" in done.stderr
    assert "pw@" not in done.stdout


def test_the_migration_job_runs_db_upgrade_as_the_owner_before_an_upgrade(
    everything: list[dict[str, Any]], kube_binaries: KubeBinaries, tmp_path: Path
) -> None:
    job = _named(everything, "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-upgrade"
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["db", "upgrade"]
    (url,) = container["env"]
    owner = _named(everything, "Secret", "-db-owner")["metadata"]["name"]
    assert url["valueFrom"]["secretKeyRef"] == {"name": owner, "key": "BRIDGE_DATABASE_URL"}
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    # embedded SQLite: the single pod migrates; no Job. Switched off: no Job either.
    assert not [d for d in _docs(_template(kube_binaries, tmp_path / "a")) if d["kind"] == "Job"]
    off = _template(
        kube_binaries, tmp_path / "b", f"database.url={DATABASE_URL}", "database.migrationJob.enabled=false"
    )
    assert not [d for d in _docs(off) if d["kind"] == "Job"]


def test_the_webhook_receiver_is_exposed_without_the_api(everything: list[dict[str, Any]]) -> None:
    ingress = _named(everything, "Ingress", "-webhooks")
    assert not [d for d in everything if d["kind"] == "Ingress" and d is not ingress], (
        "the API stays internal"
    )
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "hooks.example.org"
    assert rule["http"]["paths"] == [
        {
            "path": "/webhooks/",
            "pathType": "Prefix",
            "backend": {"service": {"name": "bridge-jenkins-bridge-webhooks", "port": {"name": "http"}}},
        }
    ]
    service = _named(everything, "Service", "-webhooks")
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "receive"  # external database
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["webhooks"]
    receive = _named(everything, "Deployment", "-receive")["spec"]["template"]["spec"]
    (container,) = receive["containers"]
    assert container["args"] == ["receive", "--host", "0.0.0.0", "--port", "8081"]
    assert {"name": "webhooks", "containerPort": 8081} in container["ports"]
    # the runtime role cannot create the schema: the owner migrates before the receiver starts too
    assert [c["name"] for c in receive["initContainers"]] == ["db-migrate", "db-grant"]


def test_metrics_port_on_every_pod_and_a_service_monitor(everything: list[dict[str, Any]]) -> None:
    config = _named(everything, "ConfigMap")["data"]
    assert config["BRIDGE_METRICS_PORT"] == "9090" and config["BRIDGE_METRICS_HOST"] == "0.0.0.0"
    for name, pod in _pods(everything):
        if name.endswith(("-serve", "-worker", "-receive")):
            ports = pod["containers"][0]["ports"]
            assert {"name": "metrics", "containerPort": 9090} in ports, name
    service = _named(everything, "Service", "-metrics")
    assert service["spec"]["clusterIP"] == "None"
    monitor = _named(everything, "ServiceMonitor")
    assert monitor["spec"]["endpoints"] == [{"port": "metrics", "path": "/metrics", "interval": "30s"}]
    labels = service["metadata"]["labels"]
    assert all(labels[k] == v for k, v in monitor["spec"]["selector"]["matchLabels"].items())


def test_the_bridge_loads_the_charts_environment(everything: list[dict[str, Any]], tmp_path: Path) -> None:
    """The ConfigMap and the Secret as a pod sees them, read by the bridge's own settings: the metrics
    listener where the Service points, and the keys of a rotation in progress."""
    from bridge.settings import Settings
    from bridge.store.crypto import SecretBox

    env = {**_named(everything, "ConfigMap")["data"], **_named(everything, "Secret", "-bridge")["stringData"]}
    env["BRIDGE_DATA_DIR"] = str(tmp_path)  # the pod's volume
    env = {k: v for k, v in env.items() if not k.startswith("BRIDGE_CLUSTERS_")}  # mounted files: not here
    settings = Settings.load(env)
    assert (settings.metrics.port, settings.metrics.host) == (9090, "0.0.0.0")
    assert settings.secret_key.get_secret_value() == KEY and settings.previous_keys() == PREVIOUS
    sealed = SecretBox(PREVIOUS[1]).seal_text("sealed before the rotation")
    box = SecretBox(settings.secret_key.get_secret_value(), previous=settings.previous_keys())
    assert box.open_text(sealed) == "sealed before the rotation"


def test_a_disruption_budget_only_for_several_api_replicas(
    everything: list[dict[str, Any]], kube_binaries: KubeBinaries, tmp_path: Path
) -> None:
    for component in ("serve", "receive"):  # three API replicas, two receivers
        budget = _named(everything, "PodDisruptionBudget", f"-{component}")
        assert budget["spec"]["minAvailable"] == 1
        assert budget["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == component
    single = _docs(_template(kube_binaries, tmp_path, f"database.url={DATABASE_URL}"))
    assert not [d for d in single if d["kind"] == "PodDisruptionBudget"], "one pod: a budget blocks drains"


def test_notes_tell_how_to_reach_the_api(
    kube_clusters: Mapping[str, KubeCluster], kube_binaries: KubeBinaries, tmp_path: Path
) -> None:
    cluster = kube_clusters["gondor"]
    args = ["install", "bridge", str(CHART), "-n", "devops", "--dry-run=server"]
    args += ["--kubeconfig", str(cluster.kubeconfig_path), "--set", f"secrets.adminToken={ADMIN}"]
    done = _helm(kube_binaries, *args, home=tmp_path)
    assert done.returncode == 0, done.stderr
    notes = done.stdout.split("NOTES:", 1)[1]
    assert "Mode: embedded SQLite" in notes
    assert "kubectl -n devops rollout status deployment/bridge-jenkins-bridge-serve" in notes
    assert "jsonpath='{.data.BRIDGE_ADMIN_TOKEN}'" in notes
    assert ADMIN not in notes


def test_the_full_render_passes_a_server_side_dry_run(
    everything: list[dict[str, Any]], kube_clusters: Mapping[str, KubeCluster]
) -> None:
    cluster = kube_clusters["shire"]
    install_crd(cluster, CRDS / "monitoring.coreos.com_servicemonitors.yaml")
    for namespace in ("devops", "argocd"):
        created = cluster.kubectl("create", "namespace", namespace)
        assert created.returncode == 0 or "AlreadyExists" in created.stderr, created.stderr
    elsewhere = [d for d in everything if d["metadata"].get("namespace")]  # the Argo CD Role and binding
    here = [d for d in everything if not d["metadata"].get("namespace")]
    out = ""
    for namespace, docs in (("devops", here), ("argocd", elsewhere)):
        done = cluster.kubectl(
            "apply", "--dry-run=server", "--validate=strict", "-n", namespace, "-f", "-",
            stdin=yaml.safe_dump_all(docs),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        out += done.stdout
    for line in (
        "job.batch/bridge-jenkins-bridge-db-upgrade created (server dry run)",
        "poddisruptionbudget.policy/bridge-jenkins-bridge-serve created (server dry run)",
        "poddisruptionbudget.policy/bridge-jenkins-bridge-receive created (server dry run)",
        "deployment.apps/bridge-jenkins-bridge-receive created (server dry run)",
        "ingress.networking.k8s.io/bridge-jenkins-bridge-webhooks created (server dry run)",
        "servicemonitor.monitoring.coreos.com/bridge-jenkins-bridge created (server dry run)",
    ):
        assert line in out, out
    assert "created (server dry run)" in out and len(out.splitlines()) == len(everything)
    # the check can fail: a field the ServiceMonitor schema lacks is refused under strict validation
    monitor = yaml.safe_load(yaml.safe_dump(_named(everything, "ServiceMonitor")))
    monitor["spec"]["endpoints"][0]["targetPortt"] = 9090
    done = cluster.kubectl(
        "apply",
        "--dry-run=server",
        "--validate=strict",
        "-n",
        "devops",
        "-f",
        "-",
        stdin=yaml.safe_dump(monitor),
    )
    assert done.returncode != 0 and 'unknown field "spec.endpoints[0].targetPortt"' in done.stderr, (
        done.stderr
    )


def test_the_chart_lints_strictly_with_everything_on(kube_binaries: KubeBinaries, tmp_path: Path) -> None:
    args = ["lint", "--strict", str(CHART)]
    for value in EVERYTHING:
        args += ["--set", value]
    done = _helm(kube_binaries, *args, home=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 chart(s) failed" in done.stdout


def _secret_settings() -> set[str]:
    """The env names of every setting typed as a secret (SecretStr) or a URL that may carry a password."""
    from pydantic import BaseModel, SecretStr

    from bridge.settings import Settings
    from bridge.settings.groups import is_url_with_password
    from bridge.settings.sources import env_name, group_model

    def secret(info: Any) -> bool:
        args = getattr(info.annotation, "__args__", (info.annotation,))
        held = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]  # a mapping of models
        return (
            is_url_with_password(info)
            or SecretStr in args
            or any(secret(f) for model in held for f in model.model_fields.values())
        )

    names = set()
    for name, info in Settings.model_fields.items():
        name = info.alias or name
        group = group_model(info)
        for sub, sub_info in group.model_fields.items() if group else [(None, info)]:
            if secret(sub_info):
                names.add(env_name(name, sub) if sub else env_name(name))
    return names


def test_every_secret_setting_has_a_secret_slot_and_is_refused_in_the_config_map() -> None:
    """A new secret setting fails here until the chart has a place for it in the Secret."""
    found = _secret_settings()
    assert {"BRIDGE_SECRET_KEY", "BRIDGE_ADMIN_TOKEN", "BRIDGE_JENKINS_TOKEN", "BRIDGE_DATABASE_URL"} <= found
    secret_template = (CHART / "templates" / "secret.yaml").read_text(encoding="utf-8")
    config_template = (CHART / "templates" / "configmap.yaml").read_text(encoding="utf-8")
    (refused,) = re.findall(r'\$secret := list ((?:"[A-Z_]+" ?)+)', config_template)
    refused_names = {"BRIDGE_" + n for n in re.findall(r'"([A-Z_]+)"', refused)}
    for name in found - {"BRIDGE_JENKINS_URL"}:  # a password in the Jenkins URL is refused outright
        assert f"{name}:" in secret_template, f"{name} has no slot in the chart's Secret"
        assert name in refused_names, (
            f"settings.{name.removeprefix('BRIDGE_')} must be refused in the ConfigMap"
        )
    assert "BRIDGE_JENKINS_URL" in found and 'contains "@"' in config_template
