"""The official Python client on the real apiservers: Secrets, Namespaces, KubeSphere Clusters, isolation."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping

import pytest
import yaml
from kubernetes import client as k8s
from kubernetes import watch

from tests.fixtures.kube import KubeCluster

pytestmark = pytest.mark.kube


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_every_cluster_serves_its_own_namespaces(kube_clusters: Mapping[str, KubeCluster]) -> None:
    assert sorted(kube_clusters) == ["gondor", "host", "rohan", "shire"]
    name = _unique("only-rohan")
    with kube_clusters["rohan"].api_client() as api:
        core = k8s.CoreV1Api(api)
        since = core.list_namespace().metadata.resource_version
        core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name)))
        assert core.read_namespace(name).status.phase == "Active"
        stream = watch.Watch()
        for event in stream.stream(core.list_namespace, resource_version=since, timeout_seconds=5):
            if event["object"].metadata.name == name:
                assert event["type"] == "ADDED"
                stream.stop()
                break
        else:
            pytest.fail(f"no watch event for namespace {name}")
    for other in ("host", "gondor", "shire"):
        with kube_clusters[other].api_client() as api:
            names = {ns.metadata.name for ns in k8s.CoreV1Api(api).list_namespace().items}
        assert "default" in names
        assert name not in names


def test_admin_certificate_of_one_cluster_is_rejected_by_another(
    kube_clusters: Mapping[str, KubeCluster],
) -> None:
    rohan, gondor = kube_clusters["rohan"], kube_clusters["gondor"]
    config = k8s.Configuration()
    config.host = gondor.server
    config.ssl_ca_cert = str(gondor.pki.ca_cert)
    config.cert_file = str(rohan.pki.admin_cert)
    config.key_file = str(rohan.pki.admin_key)
    with k8s.ApiClient(config) as api, pytest.raises(k8s.ApiException) as caught:
        k8s.CoreV1Api(api).list_namespace()
    assert caught.value.status == 401


def test_secrets_are_created_read_and_watched(kube_clusters: Mapping[str, KubeCluster]) -> None:
    name = _unique("s")
    with kube_clusters["shire"].api_client() as api:
        core = k8s.CoreV1Api(api)
        since = core.list_namespaced_secret("default").metadata.resource_version
        core.create_namespaced_secret(
            "default",
            k8s.V1Secret(metadata=k8s.V1ObjectMeta(name=name), string_data={"token": "s3cr3t"}),
        )
        stored = core.read_namespaced_secret(name, "default")
        assert base64.b64decode(stored.data["token"]) == b"s3cr3t"
        core.patch_namespaced_secret(name, "default", {"metadata": {"labels": {"step": "two"}}})

        seen = []
        stream = watch.Watch()
        for event in stream.stream(
            core.list_namespaced_secret, "default", resource_version=since, timeout_seconds=5
        ):
            if event["object"].metadata.name == name:
                seen.append((event["type"], (event["object"].metadata.labels or {}).get("step")))
            if len(seen) == 2:
                stream.stop()
        assert seen == [("ADDED", None), ("MODIFIED", "two")]


def _cluster_record(name: str, member: KubeCluster) -> dict[str, object]:
    kubeconfig = base64.b64encode(yaml.safe_dump(dict(member.kubeconfig_dict)).encode()).decode()
    return {
        "apiVersion": "cluster.kubesphere.io/v1alpha1",
        "kind": "Cluster",
        "metadata": {"name": name, "labels": {"cluster.kubesphere.io/group": "production"}},
        "spec": {
            "joinFederation": True,
            "enable": True,
            "provider": "kubeadm",
            "connection": {
                "type": "direct",
                "kubernetesAPIEndpoint": member.server,
                "kubeconfig": kubeconfig,
            },
        },
        "status": {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "Ready",
                    "message": "Cluster is available now",
                    "lastUpdateTime": "2025-01-01T00:00:00Z",
                    "lastTransitionTime": "2025-01-01T00:00:00Z",
                }
            ],
            "configz": {"devops": True, "servicemesh": False},
            "kubernetesVersion": "v1.37.2",
        },
    }


def test_kubesphere_cluster_records_round_trip_and_connect(
    kube_host: KubeCluster, kube_clusters: Mapping[str, KubeCluster]
) -> None:
    name = _unique("rohan")
    with kube_host.api_client() as api:
        custom = k8s.CustomObjectsApi(api)
        group = ("cluster.kubesphere.io", "v1alpha1", "clusters")
        since = custom.list_cluster_custom_object(*group)["metadata"]["resourceVersion"]
        custom.create_cluster_custom_object(*group, _cluster_record(name, kube_clusters["rohan"]))
        stored = custom.get_cluster_custom_object(*group, name)
        added = []
        stream = watch.Watch()
        for event in stream.stream(
            custom.list_cluster_custom_object, *group, resource_version=since, timeout_seconds=5
        ):
            added.append((event["type"], event["object"]["metadata"]["name"]))
            if event["object"]["metadata"]["name"] == name:
                stream.stop()
    assert ("ADDED", name) in added
    assert stored["status"]["configz"] == {"devops": True, "servicemesh": False}
    assert stored["metadata"].get("namespace") is None
    kubeconfig = yaml.safe_load(base64.b64decode(stored["spec"]["connection"]["kubeconfig"]))
    assert kubeconfig["clusters"][0]["cluster"]["server"] == kube_clusters["rohan"].server


def test_cluster_schema_is_enforced(kube_host: KubeCluster) -> None:
    record = {
        "apiVersion": "cluster.kubesphere.io/v1alpha1",
        "kind": "Cluster",
        "metadata": {"name": _unique("bad")},
        "status": {"configz": {"devops": "yes"}},
    }
    with kube_host.api_client() as api, pytest.raises(k8s.ApiException) as caught:
        k8s.CustomObjectsApi(api).create_cluster_custom_object(
            "cluster.kubesphere.io", "v1alpha1", "clusters", record
        )
    assert caught.value.status == 422
    assert "configz" in caught.value.body
