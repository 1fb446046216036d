"""Shared pieces of the kubeconfig sync tests: the API and the real worker over the sandbox Jenkins, an
inventory fed directly (as a static source would) with the composition root's change listener, and
reads of what the sandbox stores (secret values included)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bridge.bootstrap import Container, build_kubeconfig_sync, build_worker
from bridge.domain.clusters import ClusterRecord, SourceKind
from bridge.inventory.inventory import Inventory
from bridge.reconcile.provision import PassResult
from bridge.reconcile.runner import Worker
from bridge.sandbox.jenkins import SandboxJenkins
from bridge.settings import Settings
from tests.fixtures.app import ApiClient, make_settings
from tests.fixtures.leaks import register_secret

P, W, C = "/api/v1/projects", "/api/v1/workspaces", "/api/v1/clusters"


def jenkins_env(sandbox: SandboxJenkins) -> dict[str, str]:
    return {
        "BRIDGE_JENKINS_URL": sandbox.url,
        "BRIDGE_JENKINS_USER": sandbox.admin_user,
        "BRIDGE_JENKINS_TOKEN": sandbox.admin_token,
        "BRIDGE_JENKINS_RETRIES": "0",
        "BRIDGE_JENKINS_TIMEOUT": "5",
    }


def kubeconfig(cluster: str) -> str:
    """A kubeconfig text unique to this call (a new one is a rotation)."""
    token = f"kube-token-{cluster}-{uuid.uuid4().hex}"
    register_secret(token)
    text = (
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: {cluster}\n  cluster:\n    server: https://{cluster}.example:6443\n"
        f"users:\n- name: admin\n  user:\n    token: {token}\n"
        f"contexts:\n- name: {cluster}\n  context:\n    cluster: {cluster}\n    user: admin\n"
        f"current-context: {cluster}\n"
    )
    register_secret(text)
    return text


@dataclass
class KubeSync:
    api: ApiClient
    container: Container
    settings: Settings
    sandbox: SandboxJenkins
    worker: Worker
    inventory: Inventory
    records: dict[str, ClusterRecord] = field(default_factory=dict)
    writes: int = 0

    # --- the inventory ----------------------------------------------------------------------------

    def put(self, name: str, *, devops: bool = True, content: str | None = None) -> str:
        """Add or change a cluster (a new kubeconfig unless ``content``); returns its kubeconfig."""
        text = content if content is not None else kubeconfig(name)
        self.records[name] = ClusterRecord(
            name=name, source=SourceKind.STATIC, origin=f"file {name}.yaml", kubeconfig=text, devops=devops
        )
        self._publish()
        return text

    def flip_devops(self, name: str, devops: bool) -> None:
        old = self.records[name]
        self.put(name, devops=devops, content=old.kubeconfig)

    def drop(self, name: str) -> None:
        del self.records[name]
        self._publish()

    def _publish(self) -> None:
        self.inventory.replace(SourceKind.STATIC, [(n, r) for n, r in self.records.items()])

    # --- Jenkins ------------------------------------------------------------------------------------

    def stored(self, folder: str, cid: str) -> dict[str, str] | None:
        """The values the sandbox stores for a credential (in clear), or None when absent."""
        with self.sandbox.state.lock:
            item = self.sandbox.state.find_item(folder)
            found = item.store.credentials.get(cid) if item is not None else None  # type: ignore[union-attr]
            return None if found is None else dict(found.values)

    def kubeconfig_in(self, folder: str, cid: str) -> str | None:
        values = self.stored(folder, cid)
        return None if values is None else base64.b64decode(values["secretBytes"]).decode("utf-8")

    def ids(self, folder: str) -> set[str]:
        with self.sandbox.state.lock:
            item = self.sandbox.state.find_item(folder)
            return set(item.store.credentials) if item is not None else set()  # type: ignore[union-attr]

    def counted(self, run: Callable[[], PassResult | None]) -> tuple[PassResult | None, int]:
        """Run a pass; also return the writes the sandbox accepted meanwhile (mutating requests)."""
        before = self.writes
        result = run()
        return result, self.writes - before

    def clusters_of(self, project: str) -> dict[str, dict[str, Any]]:
        r = self.api.get(f"{P}/{project}/clusters")
        assert r.status_code == 200, r.json
        return {i["cluster"]: i for i in r.json["items"]}


def start_kubesync(
    api: ApiClient, container: Container, settings: Settings, sandbox: SandboxJenkins
) -> KubeSync:
    worker = build_worker(settings, desired=container.desired, jenkins=container.jenkins)
    inventory = Inventory(container.clusters.catalog, sources=[SourceKind.STATIC])
    inventory.subscribe(build_kubeconfig_sync(settings, container.store).on_change)
    sync = KubeSync(api, container, settings, sandbox, worker, inventory)

    def count() -> None:
        sync.writes += 1

    assert sandbox.app is not None
    sandbox.app.on_change = count
    return sync


@pytest.fixture
def env() -> dict[str, str]:
    return {}


@pytest.fixture
def settings(tmp_path: Path, sandbox_jenkins: SandboxJenkins, env: dict[str, str]) -> Settings:
    register_secret(sandbox_jenkins.admin_token, sandbox_jenkins.admin_password)
    return make_settings(tmp_path, **jenkins_env(sandbox_jenkins), **env)


@pytest.fixture
def kubesync(
    api: ApiClient, container: Container, settings: Settings, sandbox_jenkins: SandboxJenkins
) -> Iterator[KubeSync]:
    yield start_kubesync(api, container, settings, sandbox_jenkins)
