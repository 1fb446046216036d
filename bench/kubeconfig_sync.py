"""Kubeconfig sync benchmark: 50 clusters x 200 projects over 10 workspaces, into the sandbox Jenkins.

Each workspace may use 10 clusters (windows that overlap, so each cluster serves 2 workspaces, i.e.
40 projects); each workspace holds 20 projects. The inventory is fed directly (no apiservers): the
clusters are written into the store's inventory as a source would, and the sync's change listener
queues the projects a change affects, as in the worker.

Phases: initial sync (every folder and kubeconfig credential created), a no-op pass, one cluster's
kubeconfig rotated (the queued projects only, as a poll does), a full pass after it. Prints wall time,
Jenkins requests by method and writes per phase, and fails (exit 1) unless the no-op pass makes 0
writes and the rotation makes exactly as many writes as the cluster has entitled projects.

    .venv/bin/python bench/kubeconfig_sync.py [--clusters 50 --projects 200 --workspaces 10]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet

from bridge.adapters.jenkins.client import JenkinsAdapter
from bridge.domain.clusters import ClusterRecord, SourceKind
from bridge.domain.model import Project, Workspace
from bridge.identity.tenancy import DEFAULT_PREFIX, project_identity
from bridge.inventory.inventory import Inventory
from bridge.reconcile.kubeconfigs import KubeconfigSync
from bridge.reconcile.provision import PassResult, Provisioner
from bridge.reconcile.render import marker_key
from bridge.sandbox.jenkins import SandboxJenkins
from bridge.sandbox.jenkins.server import UserSpec
from bridge.services.projects import ProjectService
from bridge.services.workspaces import WorkspaceService
from bridge.store.clusters import ClusterCatalog
from bridge.store.crypto import SecretBox
from bridge.store.desired import StoreDesiredState
from bridge.store.engine import make_engine
from bridge.store.kubeconfig_sync import KubeconfigSyncStore
from bridge.store.unit import Store

PER_WORKSPACE_CLUSTERS = 10


def cluster_name(c: int) -> str:
    return f"cluster-{c:03d}"


def project_name(p: int) -> str:
    return f"proj-{p:03d}"


def kubeconfig(name: str, revision: int) -> str:
    """A realistic-sized kubeconfig (about 2.5 KB: a CA and a client certificate and key)."""
    blob = (f"{name}-{revision}-" * 40)[:1600]
    return (
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: {name}\n  cluster:\n    server: https://{name}.example:6443\n"
        f"    certificate-authority-data: {blob}\n"
        f"users:\n- name: admin\n  user:\n    client-certificate-data: {blob[:400]}\n"
        f"    client-key-data: {blob[:400]}\n"
        f"contexts:\n- name: {name}\n  context:\n    cluster: {name}\n    user: admin\n"
        f"current-context: {name}\n"
    )


def workspace_clusters(w: int, clusters: int) -> list[str]:
    step = max(1, clusters // 10)
    return [cluster_name((w * step + k) % clusters) for k in range(min(PER_WORKSPACE_CLUSTERS, clusters))]


def populate(store: Store, *, clusters: int, projects: int, workspaces: int) -> dict[str, list[str]]:
    """Workspaces and projects; returns each workspace's projects."""
    members: dict[str, list[str]] = {}
    for w in range(workspaces):
        name = f"ws-{w:02d}"
        WorkspaceService(store).create(Workspace(name=name, clusters=tuple(workspace_clusters(w, clusters))))
        members[name] = []
    for p in range(projects):
        workspace = f"ws-{p % workspaces:02d}"
        ProjectService(store).create(Project(name=project_name(p), workspace=workspace))
        members[workspace].append(project_name(p))
    return members


def phase(name: str, run: object, adapter: JenkinsAdapter) -> tuple[PassResult, float]:
    before = adapter.counter.snapshot()
    started = time.perf_counter()
    result: PassResult = run()  # type: ignore[operator]
    elapsed = time.perf_counter() - started
    after = adapter.counter.snapshot()
    delta = {
        m: after.get(m, 0) - before.get(m, 0) for m in sorted(after) if after.get(m, 0) != before.get(m, 0)
    }
    print(
        f"{name:<16} {elapsed:8.2f}s  requests {sum(delta.values()):6d} {delta}  "
        f"writes {result.writes}  errors {len(result.errors)}"
    )
    return result, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=50)
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--workspaces", type=int, default=10)
    args = parser.parse_args()
    identities = [UserSpec(project_identity(DEFAULT_PREFIX, project_name(p))) for p in range(args.projects)]
    with tempfile.TemporaryDirectory() as tmp, SandboxJenkins(users=identities) as sandbox:
        key = Fernet.generate_key().decode()
        store = Store(make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}"), SecretBox(key))
        store.migrate()
        members = populate(store, clusters=args.clusters, projects=args.projects, workspaces=args.workspaces)
        catalog = ClusterCatalog(store.engine, store.box)
        sync = KubeconfigSync(inventory=catalog, book=KubeconfigSyncStore(store))
        inventory = Inventory(catalog, sources=[SourceKind.STATIC])
        inventory.subscribe(sync.on_change)
        records = {
            cluster_name(c): ClusterRecord(
                name=cluster_name(c),
                source=SourceKind.STATIC,
                origin=f"file {cluster_name(c)}.yaml",
                kubeconfig=kubeconfig(cluster_name(c), 1),
                devops=True,
            )
            for c in range(args.clusters)
        }
        inventory.replace(SourceKind.STATIC, list(records.items()))
        adapter = JenkinsAdapter.connect(sandbox.url, user=sandbox.admin_user, token=sandbox.admin_token)
        desired = StoreDesiredState(store)
        desired.take_dirty(1_000_000)
        provisioner = Provisioner(desired=desired, jenkins=adapter, key=marker_key(key), kubeconfigs=sync)

        initial, _ = phase("initial sync", provisioner.run, adapter)
        noop, _ = phase("no-op pass", provisioner.run, adapter)

        rotated = cluster_name(0)
        records[rotated] = ClusterRecord(
            name=rotated,
            source=SourceKind.STATIC,
            origin=f"file {rotated}.yaml",
            kubeconfig=kubeconfig(rotated, 2),
            devops=True,
        )
        inventory.replace(SourceKind.STATIC, list(records.items()))  # announces the rotation
        queued = sorted({k.project for k in desired.take_dirty(1_000_000)})
        entitled = sorted(
            p
            for ws, names in members.items()
            for p in names
            if rotated in workspace_clusters(int(ws[3:]), args.clusters)
        )
        rotation, _ = phase("rotate 1 cluster", lambda: provisioner.run(queued), adapter)
        full, _ = phase("full pass after", provisioner.run, adapter)
        store.close()
    credentials = sum(1 for a in initial.applied if a.ref.kind == "credential")
    print(
        f"initial sync: {initial.writes} writes ({credentials} kubeconfig credentials in "
        f"{initial.writes - credentials} folders); no-op: {noop.writes} writes; rotation of {rotated}: "
        f"{rotation.writes} writes for {len(entitled)} entitled projects ({len(queued)} queued)"
    )
    ok = (
        not initial.errors
        and noop.writes == 0
        and rotation.writes == len(entitled)
        and queued == entitled
        and full.writes == 0
    )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
