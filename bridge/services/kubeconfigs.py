"""Kubeconfig sync state as the API shows it: per (project, cluster), never the kubeconfig.

A project lists every cluster whose kubeconfig its folder should hold (entitled now) with the state of
that credential, and the clusters still being removed from it. A cluster lists the projects where its
kubeconfig could not be synced (a credential declared with the same id, or an item in Jenkins the
bridge does not manage).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bridge.domain.kubeconfigs import KubeconfigPolicy, KubeconfigSyncStatus, credential_id
from bridge.errors import NotFound
from bridge.reconcile.kubeconfigs import entitlements
from bridge.store import Store
from bridge.store.clusters import ClusterCatalog
from bridge.store.kubeconfig_sync import KubeconfigSyncStore


@dataclass(frozen=True)
class ClusterSync:
    cluster: str
    credential_id: str
    status: KubeconfigSyncStatus
    #: The cluster's generation in the inventory now (None: the cluster is gone).
    generation: int | None
    #: The generation last written into the folder (None: never).
    synced_generation: int | None
    synced_at: datetime | None
    message: str | None


class KubeconfigSyncService:
    def __init__(
        self, store: Store, catalog: ClusterCatalog, *, policy: KubeconfigPolicy, prefix: str = ""
    ) -> None:
        self._store, self._catalog, self._policy, self._prefix = store, catalog, policy, prefix
        self._book = KubeconfigSyncStore(store)

    def for_project(self, name: str) -> list[ClusterSync]:
        with self._store.read() as tx:
            stored = tx.projects.get(name)
        if stored is None:
            raise NotFound(f"project {name!r} does not exist")
        states = self._catalog.states()
        generation = {s.record.name: s.generation for s in states}
        entitled = entitlements(
            [stored.obj], self._book.workspaces(), self._catalog.placements(), states, self._policy
        )[name]
        rows = {r.cluster: r for r in self._book.states([name])}
        items: list[ClusterSync] = []
        for cluster in entitled:
            row = rows.pop(cluster, None)
            items.append(
                ClusterSync(
                    cluster=cluster,
                    credential_id=row.credential_id if row else credential_id(self._prefix, cluster),
                    status=row.status if row else KubeconfigSyncStatus.PENDING,
                    generation=generation.get(cluster),
                    synced_generation=row.synced_generation if row else None,
                    synced_at=row.synced_at if row else None,
                    message=row.message if row else None,
                )
            )
        for cluster, row in sorted(rows.items()):
            if row.status is KubeconfigSyncStatus.CONFLICT:
                continue  # never written: nothing to remove
            items.append(
                ClusterSync(
                    cluster=cluster,
                    credential_id=row.credential_id,
                    status=KubeconfigSyncStatus.REMOVING,
                    generation=generation.get(cluster),
                    synced_generation=row.synced_generation,
                    synced_at=row.synced_at,
                    message=row.message,
                )
            )
        return items

    def conflicts(self, cluster: str) -> list[tuple[str, str]]:
        """(project, workspace) of the folders that could not receive this cluster's kubeconfig."""
        failing = (KubeconfigSyncStatus.CONFLICT, KubeconfigSyncStatus.ERROR)
        names = [r.project for r in self._book.of_cluster(cluster) if r.status in failing]
        if not names:
            return []
        with self._store.read() as tx:
            home = {p.obj.name: p.obj.workspace for p in tx.projects.list()}
        return [(n, home[n]) for n in names if n in home]
