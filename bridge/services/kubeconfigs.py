"""Kubeconfig sync state as the API shows it: per (project, cluster), never the kubeconfig.

A project lists every cluster whose kubeconfig its folder should hold (entitled now) with the state of
that credential, and the clusters still being removed from it; for a cluster whose credential policy
is ``scoped``, also the namespaces granted, the token's expiry, the last rotation and what the cluster
refused last. A cluster lists the projects where its
kubeconfig could not be synced (a credential declared with the same id, or an item in Jenkins the
bridge does not manage).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bridge.domain.kubeconfigs import KubeconfigPolicy, KubeconfigSyncStatus, credential_id
from bridge.domain.scoped import CredentialPolicy, ScopedState
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
    #: The cluster's credential policy: ``full`` (its own kubeconfig) or ``scoped``.
    policy: CredentialPolicy = CredentialPolicy.FULL
    #: Scoped: the namespaces the project's ServiceAccount is bound in now.
    namespaces: list[str] = field(default_factory=list)
    token_expires_at: datetime | None = None
    rotated_at: datetime | None = None
    #: Scoped: what the cluster refused last (names the verb and the resource).
    error: str | None = None


class ScopedView(Protocol):
    """Scoped deploy credentials as the API reads them (``bridge.reconcile.scoped.ScopedCredentials``)."""

    def is_scoped(self, cluster: str) -> bool: ...

    def states_of(self, project: str) -> dict[str, ScopedState]: ...


#: Shown for a scoped cluster the project has no credential on yet.
NOT_GRANTED = (
    "the cluster's credential policy is scoped: the project gets a credential there once one of its "
    "pipelines declares a deploy target on it"
)


class KubeconfigSyncService:
    def __init__(
        self,
        store: Store,
        catalog: ClusterCatalog,
        *,
        policy: KubeconfigPolicy,
        prefix: str = "",
        scoped: ScopedView | None = None,
    ) -> None:
        self._store, self._catalog, self._policy, self._prefix = store, catalog, policy, prefix
        self._book = KubeconfigSyncStore(store)
        self._scoped = scoped

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
        scoped = self._scoped.states_of(name) if self._scoped is not None else {}
        items: list[ClusterSync] = []
        for cluster in entitled:
            row = rows.pop(cluster, None)
            own = self._scoped is not None and self._scoped.is_scoped(cluster)
            grant = scoped.get(cluster)
            message = row.message if row else None
            if own and grant is None and row is None:
                message = NOT_GRANTED
            items.append(
                ClusterSync(
                    cluster=cluster,
                    credential_id=row.credential_id if row else credential_id(self._prefix, cluster),
                    status=row.status if row else KubeconfigSyncStatus.PENDING,
                    generation=generation.get(cluster),
                    synced_generation=row.synced_generation if row else None,
                    synced_at=row.synced_at if row else None,
                    message=message,
                    policy=CredentialPolicy.SCOPED if own else CredentialPolicy.FULL,
                    namespaces=grant.namespaces if grant else [],
                    token_expires_at=grant.expires_at if grant else None,
                    rotated_at=grant.rotated_at if grant else None,
                    error=grant.error if grant else None,
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
