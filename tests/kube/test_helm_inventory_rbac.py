"""The chart grants the cluster inventory read access: WorkspaceTemplates cluster-wide, and Argo CD's
cluster Secrets only in Argo CD's namespace (when that source is used)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from tests.fixtures.kube import KubeCluster
from tests.fixtures.kube_binaries import KubeBinaries
from tests.kube.test_helm_chart import _docs, _template

pytestmark = pytest.mark.kube


def test_inventory_rbac_is_read_only_and_scoped(
    kube_binaries: KubeBinaries, kube_clusters: Mapping[str, KubeCluster], tmp_path: Path
) -> None:
    default = _docs(_template(kube_binaries, tmp_path / "a"))
    assert not [d for d in default if d["kind"] in ("Role", "RoleBinding")]
    (cluster_role,) = [d for d in default if d["kind"] == "ClusterRole"]
    rules = {
        (g, r): set(rule["verbs"])
        for rule in cluster_role["rules"]
        for g in rule["apiGroups"]
        for r in rule["resources"]
    }
    assert rules[("tenant.kubesphere.io", "workspacetemplates")] == {"get", "list", "watch"}
    assert rules[("cluster.kubesphere.io", "clusters")] == {"get", "list", "watch"}
    assert ("", "secrets") not in rules  # never cluster-wide

    rendered = _template(kube_binaries, tmp_path / "b", "rbac.argocdNamespace=argocd")
    docs = _docs(rendered)
    (role,) = [d for d in docs if d["kind"] == "Role"]
    (binding,) = [d for d in docs if d["kind"] == "RoleBinding"]
    assert role["metadata"]["namespace"] == binding["metadata"]["namespace"] == "argocd"
    assert role["rules"] == [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]}]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "bridge-jenkins-bridge", "namespace": "devops"}
    ]

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
