"""The cluster inventory on the real apiservers, Argo CD side: cluster Secrets become working kubeconfigs,
a name offered by two sources is a clear clash, and unreachable or refused clusters say why."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s

from bridge.adapters.kube.argocd import DEVOPS_LABEL, ArgoCdSource
from bridge.adapters.kube.kubesphere import CLUSTER_API, KubeSphereSource
from bridge.adapters.kube.reachability import api_client_for
from tests.fixtures.kube import KubeCluster
from tests.fixtures.leaks import register_secret
from tests.kube.inventory_support import (
    WINDOW,
    C,
    Running,
    argocd_secret,
    b64,
    cluster_object,
    eventually,
    register_kubeconfigs,
    sa_token,
    start,
    uid,
)

pytestmark = pytest.mark.kube
__all__ = ["start"]  # the fixture, used by name


def test_argocd_secrets_become_working_kubeconfigs(
    kube_host: KubeCluster, kube_clusters: Mapping[str, KubeCluster], start: Callable[..., Running]
) -> None:
    gondor, shire = kube_clusters["gondor"], kube_clusters["shire"]
    register_kubeconfigs(shire)
    namespace = uid("argocd")
    core = k8s.CoreV1Api(kube_host.api_client())
    core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=namespace)))
    ca = b64(gondor.pki.ca_cert.read_bytes())
    token = sa_token(gondor)
    bearer = {"bearerToken": token, "tlsClientConfig": {"insecure": False, "caData": ca}}
    shire_user = shire.kubeconfig_dict["users"][0]["user"]
    certs = {
        "tlsClientConfig": {
            "insecure": False,
            "caData": b64(shire.pki.ca_cert.read_bytes()),
            "certData": shire_user["client-certificate-data"],
            "keyData": shire_user["client-key-data"],
        }
    }
    core.create_namespaced_secret(
        namespace, argocd_secret("cluster-gondor", "gondor", gondor.server, bearer, **{DEVOPS_LABEL: "true"})
    )
    running = start(
        ArgoCdSource(kube_host.api_client(), namespace=namespace, relist_interval=300, watch_window=WINDOW)
    )
    core.create_namespaced_secret(namespace, argocd_secret("cluster-shire", "shire", shire.server, certs))

    for name, devops in (("gondor", True), ("shire", False)):
        seen = eventually(lambda n=name: running.cluster(n), what=f"{name} from its Secret")
        assert seen["source"] == "argocd" and seen["devops_enabled"] is devops and seen["problem"] is None
        assert seen["origin"] == f"Secret {namespace}/cluster-{name}"
        kubeconfig = running.container.clusters.catalog.kubeconfig(name)
        assert kubeconfig is not None
        with api_client_for(kubeconfig) as api:
            version = k8s.VersionApi(api).get_code()
            assert version.git_version.startswith("v1.")
            me = k8s.AuthenticationV1Api(api).create_self_subject_review(
                k8s.V1SelfSubjectReview(api_version="authentication.k8s.io/v1", kind="SelfSubjectReview")
            )
        expected = "system:serviceaccount:default:argocd-manager" if name == "gondor" else "admin"
        assert me.status.user_info.username.startswith(expected)
        eventually(
            lambda n=name: (running.cluster(n) or {})["reachability"]["reachable"], what=f"{name} reachable"
        )

    # a Secret with credentials the bridge cannot use is listed with the reason
    exec_config = {
        "execProviderConfig": {"command": "argocd-k8s-auth", "args": ["gcp"]},
        "tlsClientConfig": {"caData": ca},
    }
    core.create_namespaced_secret(
        namespace, argocd_secret("cluster-exec", "isengard", gondor.server, exec_config)
    )
    isengard = eventually(lambda: running.cluster("isengard"), what="the exec cluster")
    assert "execProviderConfig" in isengard["problem"] and isengard["reachability"]["reachable"] is None

    core.delete_namespaced_secret("cluster-shire", namespace)
    eventually(lambda: running.admin.get(f"{C}/shire").status_code == 404, what="shire removed")


def test_a_name_offered_by_two_sources_is_a_clear_clash(
    kube_host: KubeCluster, kube_clusters: Mapping[str, KubeCluster], start: Callable[..., Running]
) -> None:
    rohan = kube_clusters["rohan"]
    register_kubeconfigs(rohan)
    name, namespace = uid("edoras"), uid("argocd")
    core = k8s.CoreV1Api(kube_host.api_client())
    custom = k8s.CustomObjectsApi(kube_host.api_client())
    core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=namespace)))
    custom.create_cluster_custom_object(*CLUSTER_API, cluster_object(name, rohan, devops=True))
    token = sa_token(rohan)
    config = {"bearerToken": token, "tlsClientConfig": {"caData": b64(rohan.pki.ca_cert.read_bytes())}}
    core.create_namespaced_secret(namespace, argocd_secret("cluster-edoras", name, rohan.server, config))
    running = start(
        KubeSphereSource(kube_host.api_client(), relist_interval=300, watch_window=WINDOW),
        ArgoCdSource(kube_host.api_client(), namespace=namespace, relist_interval=300, watch_window=WINDOW),
    )
    clash = eventually(lambda: (c := running.cluster(name)) and c["problem"] and c, what="the clash")
    assert f"Cluster {name}" in clash["problem"] and f"Secret {namespace}/cluster-edoras" in clash["problem"]
    assert "unique across sources" in clash["problem"]
    assert clash["devops_enabled"] is False and clash["jenkins"] is None
    assert running.container.clusters.catalog.kubeconfig(name) is None

    core.delete_namespaced_secret("cluster-edoras", namespace)  # resolved: KubeSphere's entry is used again
    fixed = eventually(
        lambda: (c := running.cluster(name)) and not c["problem"] and c, what="the clash resolved"
    )
    assert fixed["source"] == "kubesphere" and fixed["devops_enabled"] is True
    assert running.container.clusters.catalog.kubeconfig(name) is not None
    custom.delete_cluster_custom_object(*CLUSTER_API, name)


def test_unreachable_and_refused_clusters_show_why_without_secrets(
    kube_host: KubeCluster,
    kube_clusters: Mapping[str, KubeCluster],
    start: Callable[..., Running],
    tmp_path: Path,
) -> None:
    from bridge.adapters.kube.static import StaticSource
    from bridge.settings.clusters import StaticCluster
    from tests.fixtures.kube_control_plane import free_ports

    gondor = kube_clusters["gondor"]
    namespace = uid("argocd")
    core = k8s.CoreV1Api(kube_host.api_client())
    core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=namespace)))
    bogus = "not-a-token-gondor-accepts-0123456789"
    register_secret(bogus)
    config = {"bearerToken": bogus, "tlsClientConfig": {"caData": b64(gondor.pki.ca_cert.read_bytes())}}
    core.create_namespaced_secret(
        namespace, argocd_secret("cluster-refused", "refused", gondor.server, config)
    )
    (port,) = free_ports(1)
    nowhere = dict(gondor.kubeconfig_dict)
    nowhere["clusters"] = [
        {
            "name": "gondor",
            "cluster": {
                **gondor.kubeconfig_dict["clusters"][0]["cluster"],
                "server": f"https://127.0.0.1:{port}",
            },
        }
    ]
    path = tmp_path / "nowhere.yaml"
    path.write_text(yaml.safe_dump(nowhere))
    register_kubeconfigs(gondor)
    running = start(
        ArgoCdSource(kube_host.api_client(), namespace=namespace, relist_interval=300, watch_window=WINDOW),
        StaticSource([StaticCluster("nowhere", path)], relist_interval=300),
    )

    def checked(name: str) -> dict[str, Any] | None:
        c = running.cluster(name)
        return c if c and c["reachability"]["checked_at"] else None

    refused = eventually(lambda: checked("refused"), what="the refused cluster checked")
    assert refused["reachability"]["reachable"] is False and refused["kubernetes_version"] is None
    assert refused["reachability"]["error"].startswith("HTTP 401")
    assert "credentials were refused" in refused["reachability"]["error"]
    down = eventually(lambda: checked("nowhere"), what="the unreachable cluster checked")
    assert down["reachability"]["reachable"] is False
    assert down["reachability"]["error"] == "NewConnectionError: Connection refused"
    for body in (refused, down):
        assert bogus not in json.dumps(body)
