"""The chart's RBAC follows the cluster sources and authenticators that are on, and nothing more:
KubeSphere's Cluster and WorkspaceTemplate objects cluster-wide (read), Argo CD's cluster Secrets only in
Argo CD's namespace (read), TokenReview only when it is on; static kubeconfigs need none."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures.kube import KubeCluster
from tests.fixtures.kube_binaries import KubeBinaries
from tests.kube.test_helm_chart import _docs, _template

pytestmark = pytest.mark.kube


def _rules(docs: list[dict[str, Any]], kind: str) -> dict[tuple[str, str], set[str]]:
    roles = [d for d in docs if d["kind"] == kind]
    return {
        (g, r): set(rule["verbs"])
        for role in roles
        for rule in role["rules"]
        for g in rule["apiGroups"]
        for r in rule["resources"]
    }


def _pod(docs: list[dict[str, Any]]) -> dict[str, Any]:
    serve = next(d for d in docs if d["kind"] == "Deployment")
    return serve["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def test_nothing_on_means_no_role_and_no_token(kube_binaries: KubeBinaries, tmp_path: Path) -> None:
    docs = _docs(_template(kube_binaries, tmp_path))
    assert not [d for d in docs if "Role" in d["kind"]]
    assert _pod(docs)["automountServiceAccountToken"] is False


def test_kubesphere_source_reads_clusters_and_workspaces_only(
    kube_binaries: KubeBinaries, tmp_path: Path
) -> None:
    docs = _docs(_template(kube_binaries, tmp_path, "clusters.sources={kubesphere}"))
    assert _rules(docs, "ClusterRole") == {
        ("cluster.kubesphere.io", "clusters"): {"get", "list", "watch"},
        ("tenant.kubesphere.io", "workspacetemplates"): {"get", "list", "watch"},
    }
    assert not [d for d in docs if d["kind"] == "Role"]
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    assert config["BRIDGE_CLUSTERS_SOURCES"] == "kubesphere"
    assert _pod(docs)["automountServiceAccountToken"] is True


def test_token_review_alone_may_only_create_token_reviews(
    kube_binaries: KubeBinaries, tmp_path: Path
) -> None:
    docs = _docs(_template(kube_binaries, tmp_path, "auth.tokenReview=true"))
    assert _rules(docs, "ClusterRole") == {("authentication.k8s.io", "tokenreviews"): {"create"}}
    assert next(d for d in docs if d["kind"] == "ConfigMap")["data"]["BRIDGE_AUTH_TOKEN_REVIEW"] == "true"


def test_static_kubeconfigs_come_from_a_secret_and_need_no_rbac(
    kube_binaries: KubeBinaries, tmp_path: Path
) -> None:
    docs = _docs(
        _template(
            kube_binaries,
            tmp_path,
            "clusters.sources={static}",
            "clusters.static.existingSecret=cluster-kubeconfigs",
            "clusters.static.clusters={rohan,gondor}",
        )
    )
    assert not [d for d in docs if "Role" in d["kind"]]
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    assert config["BRIDGE_CLUSTERS_STATIC"] == (
        "rohan=/etc/jenkins-bridge/kubeconfigs/rohan,gondor=/etc/jenkins-bridge/kubeconfigs/gondor"
    )
    pod = _pod(docs)
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["kubeconfigs"]["secret"]["secretName"] == "cluster-kubeconfigs"
    mounts = pod["containers"][0]["volumeMounts"]
    assert {"name": "kubeconfigs", "mountPath": "/etc/jenkins-bridge/kubeconfigs", "readOnly": True} in mounts


def test_argocd_secrets_are_read_in_one_namespace_and_pass_a_server_dry_run(
    kube_binaries: KubeBinaries, kube_clusters: Mapping[str, KubeCluster], tmp_path: Path
) -> None:
    rendered = _template(
        kube_binaries, tmp_path, "clusters.sources={argocd,kubesphere}", "clusters.argocdNamespace=argocd"
    )
    docs = _docs(rendered)
    assert ("", "secrets") not in _rules(docs, "ClusterRole")  # never cluster-wide
    (role,) = [d for d in docs if d["kind"] == "Role"]
    (binding,) = [d for d in docs if d["kind"] == "RoleBinding"]
    assert role["metadata"]["namespace"] == binding["metadata"]["namespace"] == "argocd"
    assert role["rules"] == [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]}]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "bridge-jenkins-bridge", "namespace": "devops"}
    ]
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    assert config["BRIDGE_CLUSTERS_SOURCES"] == "argocd,kubesphere"
    assert config["BRIDGE_CLUSTERS_ARGOCD_NAMESPACE"] == "argocd"

    cluster = kube_clusters["rohan"]
    for namespace in ("devops", "argocd"):
        created = cluster.kubectl("create", "namespace", namespace)
        assert created.returncode == 0 or "AlreadyExists" in created.stderr, created.stderr
    scoped = yaml.safe_dump_all([role, binding])
    done = cluster.kubectl("apply", "--dry-run=server", "-n", "argocd", "-f", "-", stdin=scoped)
    assert done.returncode == 0, done.stderr
    assert (
        "role.rbac.authorization.k8s.io/bridge-jenkins-bridge-argocd-clusters created (server dry run)"
        in done.stdout
    )
