"""Shared pieces of the scoped credential tests on the real apiservers: the seed clusters as KubeSphere
``Cluster`` objects on ``host`` watched into the inventory, the real worker over a sandbox Jenkins
started from the shipped casc, and real requests made with a kubeconfig read back from that sandbox."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s
from kubernetes.client.rest import ApiException

from bridge.adapters.kube.kubesphere import CLUSTER_API, KubeSphereSource
from bridge.adapters.kube.reachability import api_client_for
from bridge.bootstrap import Container
from bridge.cli.demo.roles import aggregate_cluster_roles as fill_aggregated_roles
from bridge.inventory.runner import InventoryRunner
from bridge.sandbox.jenkins import SandboxJenkins
from bridge.sandbox.jenkins.buildstate import SIMULATION
from bridge.sandbox.jenkins.pipeline import Simulation
from bridge.settings import Settings
from tests.clusters.kubesync_support import KubeSync, start_kubesync
from tests.fixtures.app import ApiClient
from tests.fixtures.kube import KubeCluster
from tests.fixtures.leaks import register_secret
from tests.kube.inventory_support import WINDOW, cluster_object, eventually, register_kubeconfigs

SEED = ("rohan", "gondor", "shire")
DEV, PROD = "kubesphere-sample-dev", "kubesphere-sample-prod"
DEPLOYERS = "jenkins-bridge-deployers"
#: Short tokens (the apiserver's minimum lifetime), rotated at half their life, give or take a minute.
SCOPED_ENV = {
    "BRIDGE_SCOPED_POLICY": "scoped",
    "BRIDGE_SCOPED_TOKEN_LIFETIME": "600",
    "BRIDGE_SCOPED_ROTATE_AT": "0.5",
    "BRIDGE_SCOPED_JITTER": "0.1",
    "BRIDGE_SCOPED_MIN_VALIDITY": "120",
    "BRIDGE_SCOPED_RETRY_INTERVAL": "0.5",
}


@pytest.fixture
def sandbox_jenkins(sandbox_jenkins_shipped: SandboxJenkins) -> SandboxJenkins:
    """The shipped casc (``maven`` agents, the ``kubeconfigFile`` shim), simulated time instant."""
    sandbox_jenkins_shipped.services[SIMULATION] = Simulation(time_scale=0)
    return sandbox_jenkins_shipped


@pytest.fixture
def seeded(
    kube_host: KubeCluster,
    kube_clusters: Mapping[str, KubeCluster],
    api: ApiClient,
    container: Container,
    settings: Settings,
    sandbox_jenkins: SandboxJenkins,
) -> Iterator[KubeSync]:
    """The seed clusters on host, watched into the inventory, and the real worker over the sandbox."""
    register_kubeconfigs(*(kube_clusters[n] for n in SEED))
    custom = k8s.CustomObjectsApi(kube_host.api_client())
    for name in SEED:
        with contextlib.suppress(ApiException):
            custom.delete_cluster_custom_object(*CLUSTER_API, name)
        custom.create_cluster_custom_object(
            *CLUSTER_API, cluster_object(name, kube_clusters[name], devops=True)
        )
    for name in SEED:
        aggregate_cluster_roles(kube_clusters[name])
    sync = start_kubesync(api, container, settings, sandbox_jenkins)
    assert sync.worker.scoped is not None
    source = KubeSphereSource(kube_host.api_client(), relist_interval=300, watch_window=WINDOW)
    runner = InventoryRunner(inventory=sync.inventory, sources=[source]).start()
    catalog = container.clusters.catalog
    eventually(lambda: {s.record.name for s in catalog.states()} >= set(SEED), what="the seed clusters")
    try:
        yield sync
    finally:
        runner.stop()
        for name in SEED:
            with contextlib.suppress(ApiException):
                custom.delete_cluster_custom_object(*CLUSTER_API, name)


def aggregate_cluster_roles(cluster: KubeCluster) -> None:
    """The clusterrole-aggregation controller's work (no controller-manager runs here), as the demo does
    it: a RoleBinding to ``edit`` grants what it grants on a real cluster."""
    text = yaml.safe_dump(dict(cluster.kubeconfig_dict))
    register_secret(text)
    fill_aggregated_roles(text)


def converge(sync: KubeSync, check: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    """Run the credential job and a pass (as the worker's jobs do every poll) until ``check`` holds."""

    def step() -> Any:
        sync.worker.rotate_credentials()
        sync.worker.poll()
        return check()

    return eventually(step, timeout=timeout, what=what)


def ensure_namespace(cluster: KubeCluster, name: str) -> None:
    with cluster.api_client() as api, contextlib.suppress(ApiException):
        k8s.CoreV1Api(api).create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name)))


def token_of(kubeconfig: str) -> str | None:
    return yaml.safe_load(kubeconfig)["users"][0]["user"].get("token")


def deployment(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": "kubesphere/devops-maven-sample:latest"}]},
            },
        },
    }


def status_of(call: Callable[[], object]) -> int:
    """201/200 when the request succeeded, else the HTTP status the apiserver answered."""
    try:
        call()
    except ApiException as e:
        return int(e.status)
    return 201


def create_deployment(kubeconfig: str, namespace: str, name: str) -> int:
    with api_client_for(kubeconfig) as api:
        apps = k8s.AppsV1Api(api)
        return status_of(lambda: apps.create_namespaced_deployment(namespace, deployment(name)))


def create_namespace(kubeconfig: str, name: str) -> int:
    with api_client_for(kubeconfig) as api:
        body = k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name))
        return status_of(lambda: k8s.CoreV1Api(api).create_namespace(body))


def create_cluster_role(kubeconfig: str, name: str) -> int:
    with api_client_for(kubeconfig) as api:
        body = k8s.V1ClusterRole(metadata=k8s.V1ObjectMeta(name=name), rules=[])
        return status_of(lambda: k8s.RbacAuthorizationV1Api(api).create_cluster_role(body))


def list_pods(kubeconfig: str, namespace: str) -> int:
    with api_client_for(kubeconfig) as api:
        status = status_of(lambda: k8s.CoreV1Api(api).list_namespaced_pod(namespace))
        return 200 if status == 201 else status


def role_binding(cluster: KubeCluster, namespace: str, name: str) -> Any:
    with cluster.api_client() as api:
        return _or_none(lambda: k8s.RbacAuthorizationV1Api(api).read_namespaced_role_binding(name, namespace))


def service_account(cluster: KubeCluster, name: str) -> Any:
    with cluster.api_client() as api:
        return _or_none(lambda: k8s.CoreV1Api(api).read_namespaced_service_account(name, DEPLOYERS))


def _or_none(read: Callable[[], Any]) -> Any:
    """The object ``read`` answers; None when the apiserver says it does not exist."""
    try:
        return read()
    except ApiException as e:
        if e.status == 404:
            return None
        raise
