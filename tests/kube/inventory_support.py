"""Shared pieces of the cluster inventory's kube tests: a running inventory over the test app, object
builders for KubeSphere Clusters and Argo CD Secrets, and polling."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from flask import Flask
from kubernetes import client as k8s

from bridge.adapters.kube.reachability import KubeVersionProbe
from bridge.bootstrap import Container
from bridge.identity.token_store import TokenStore
from bridge.inventory.inventory import Inventory
from bridge.inventory.ports import ClusterSource
from bridge.inventory.prober import Prober
from bridge.inventory.runner import InventoryRunner
from tests.fixtures.app import ApiClient
from tests.fixtures.kube import KubeCluster
from tests.fixtures.leaks import register_secret

C, W, P = "/api/v1/clusters", "/api/v1/workspaces", "/api/v1/projects"
WINDOW = 30  # seconds per watch request: stopping must not wait for it (stop() interrupts)


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def eventually(check: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    pytest.fail(f"{what} not met within {timeout}s (last: {last!r})")


def b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


@dataclass
class Running:
    container: Container
    runner: InventoryRunner
    admin: ApiClient
    app: Flask

    def cluster(self, name: str) -> dict[str, Any] | None:
        r = self.admin.get(f"{C}/{name}")
        return r.json if r.status_code == 200 else None

    def as_user(self, user: str) -> ApiClient:
        token = TokenStore(self.container.store.engine).create(user=user, groups=(), created_by="test").token
        register_secret(token)
        return ApiClient(self.app.test_client(), token=token)


@pytest.fixture
def start(api: ApiClient, app: Flask, container: Container) -> Iterator[Callable[..., Running]]:
    runners: list[InventoryRunner] = []

    def _start(*sources: ClusterSource, placements: bool = False) -> Running:
        catalog = container.clusters.catalog
        inventory = Inventory(catalog, sources=[s.kind for s in sources], placements=placements)
        prober = Prober(catalog, KubeVersionProbe(timeout=5), interval=2)
        runner = InventoryRunner(inventory=inventory, sources=list(sources), prober=prober).start()
        runners.append(runner)
        return Running(container=container, runner=runner, admin=api, app=app)

    yield _start
    for runner in runners:
        threads = list(runner._threads)
        runner.stop()
        # stop() interrupts the open watches: without that, a thread would still sit in its watch window
        assert not [t.name for t in threads if t.is_alive()], "stop() interrupts the watches"


def cluster_object(name: str, member: KubeCluster, *, devops: bool, ready: bool = True) -> dict[str, Any]:
    return {
        "apiVersion": "cluster.kubesphere.io/v1alpha1",
        "kind": "Cluster",
        "metadata": {"name": name, "labels": {"cluster.kubesphere.io/group": "production"}},
        "spec": {
            "joinFederation": True,
            "enable": True,
            "connection": {
                "type": "direct",
                "kubernetesAPIEndpoint": member.server,
                "kubeconfig": b64(yaml.safe_dump(dict(member.kubeconfig_dict))),
            },
        },
        "status": {
            "conditions": [{"type": "Ready", "status": "True" if ready else "False", "reason": "Ready"}],
            "configz": {"devops": devops, "openpitrix": True},
        },
    }


def register_kubeconfigs(*clusters: KubeCluster) -> None:
    for cluster in clusters:
        user = cluster.kubeconfig_dict["users"][0]["user"]
        register_secret(user["client-key-data"])


def sa_token(cluster: KubeCluster) -> str:
    with cluster.api_client() as api:
        core = k8s.CoreV1Api(api)
        name = uid("argocd-manager")
        core.create_namespaced_service_account(
            "default", k8s.V1ServiceAccount(metadata=k8s.V1ObjectMeta(name=name))
        )
        answer = core.create_namespaced_service_account_token(
            name,
            "default",
            k8s.AuthenticationV1TokenRequest(spec=k8s.V1TokenRequestSpec(expiration_seconds=600)),
        )
    token: str = answer.status.token
    register_secret(token)
    return token


def argocd_secret(secret: str, name: str, server: str, config: dict[str, Any], **labels: str) -> k8s.V1Secret:
    return k8s.V1Secret(
        metadata=k8s.V1ObjectMeta(
            name=secret, labels={"argocd.argoproj.io/secret-type": "cluster", **labels}
        ),
        type="Opaque",
        data={"name": b64(name), "server": b64(server), "config": b64(json.dumps(config))},
    )
