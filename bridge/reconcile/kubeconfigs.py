"""Kubeconfig sync: each project's folder holds a current kubeconfig credential per entitled cluster.

The provisioner asks ``plan`` for this pass's kubeconfig credentials; they are rendered through the
ordinary credential XML (marker and HMAC included) and planned and applied like declared credentials,
so a rotated kubeconfig is a changed HMAC (one write per entitled folder) and a pass with nothing
changed writes nothing. A credential the sync put in a folder that is no longer entitled (cluster
deleted, DevOps disabled, removed from the workspace, policy changed) comes back as a removal, which
the provisioner applies like a tombstone: deleted when it still carries our marker, left alone
otherwise. The bookkeeping rows (``SyncBook``) name exactly what was put where, and are the sync state
the API shows.

For a cluster whose credential policy is ``scoped`` (``ScopedSource``, ``bridge.reconcile.scoped``) the
folder holds the project's own short-lived kubeconfig from there instead, under the same id, and nothing
at all until it was granted: never the cluster's own kubeconfig.

A credential declared through the API with the same id wins: it is never overwritten, the
kubeconfig is not synced into that folder, and the row says why (status ``conflict``). An item in
Jenkins without our marker is a conflict of the plan, as for any credential, and is never touched.

``on_change`` is an inventory listener: a cluster that joins, leaves, rotates or changes flags queues
the projects that may be affected in the worker's dirty-key queue, so the next poll brings their
folders up to date; the periodic full pass is the safety net.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from bridge.adapters.jenkins.configxml import KubeconfigMode, Rendered, render_credential
from bridge.domain.clusters import ClusterChange, ClusterState, Placement
from bridge.domain.kubeconfigs import (
    KubeconfigPolicy,
    KubeconfigSyncState,
    KubeconfigSyncStatus,
    available_clusters,
    credential_id,
    entitled_clusters,
    kubeconfig_credential,
)
from bridge.domain.model import Credential, Project, SyncStatus, Workspace
from bridge.domain.plan import CREDENTIAL, Ref
from bridge.reconcile.ports import Tombstone

log = logging.getLogger(__name__)

SHADOWED = (
    "a credential declared through the API has the id {id!r}; it is kept and the kubeconfig of cluster "
    "{cluster!r} is not synced into this folder. Rename or delete that credential to receive it"
)


class ClusterInventory(Protocol):
    """The inventory as read by the sync (``bridge.store.clusters.ClusterCatalog``)."""

    def states(self) -> list[ClusterState]: ...

    def kubeconfig(self, name: str) -> str | None: ...

    def placements(self) -> dict[str, Placement]: ...


class SyncBook(Protocol):
    """The sync's bookkeeping (``bridge.store.kubeconfig_sync.KubeconfigSyncStore``)."""

    def workspaces(self) -> dict[str, Workspace]: ...

    def states(self, projects: Collection[str] | None = None) -> list[KubeconfigSyncState]: ...

    def of_cluster(self, cluster: str) -> list[KubeconfigSyncState]: ...

    def put(self, state: KubeconfigSyncState) -> None: ...

    def set_status(
        self, project: str, credential_id: str, status: KubeconfigSyncStatus, message: str | None
    ) -> None: ...

    def remove(self, project: str, credential_id: str) -> None: ...

    def mark_dirty(self, project_names: Iterable[str]) -> None: ...

    def projects_in(self, workspace_names: Collection[str]) -> list[str]: ...


class ScopedSource(Protocol):
    """Scoped deploy credentials (``bridge.reconcile.scoped.ScopedCredentials``): for a scoped cluster
    the folder holds the project's own kubeconfig from there, never the cluster's."""

    def is_scoped(self, cluster: str) -> bool: ...

    def kubeconfigs(self, projects: Collection[str]) -> dict[tuple[str, str], str]: ...


@dataclass(frozen=True)
class Wanted:
    cluster: str
    credential: Credential = field(repr=False)
    generation: int


@dataclass
class KubeconfigPass:
    """This pass's kubeconfig credentials by ref, and the ones to remove (ref → cluster)."""

    wanted: dict[Ref, Wanted] = field(default_factory=dict)
    removals: dict[Ref, str] = field(default_factory=dict)


def entitlements(
    projects: Iterable[Project],
    workspaces: Mapping[str, Workspace],
    placements: Mapping[str, Placement],
    states: Sequence[ClusterState],
    policy: KubeconfigPolicy,
) -> dict[str, tuple[str, ...]]:
    """project → the clusters whose kubeconfig its folder holds (from its own workspace only)."""
    by_name = {s.record.name: s for s in states}
    per_workspace: dict[str, tuple[str, ...]] = {}
    result: dict[str, tuple[str, ...]] = {}
    for project in projects:
        workspace = workspaces.get(project.workspace)
        if workspace is None:
            result[project.name] = ()
            continue
        if workspace.name not in per_workspace:
            available = available_clusters(workspace, placements, states)
            per_workspace[workspace.name] = entitled_clusters(available, by_name, policy)
        result[project.name] = per_workspace[workspace.name]
    return result


class KubeconfigSync:
    def __init__(
        self,
        *,
        inventory: ClusterInventory,
        book: SyncBook,
        policy: KubeconfigPolicy = KubeconfigPolicy.DEVOPS,
        prefix: str = "",
        scoped: ScopedSource | None = None,
    ) -> None:
        self._inventory, self._book, self._policy, self._prefix = inventory, book, policy, prefix
        self._scoped = scoped
        self._current = KubeconfigPass()
        #: (project, credential id) → what the book last got, so a no-op pass writes no row
        self._recorded: dict[tuple[str, str], tuple[KubeconfigSyncStatus, str | None, int | None]] = {}
        self._lock = threading.Lock()
        self._write = True

    # --- the provisioner's side -----------------------------------------------------------------

    def plan(
        self, projects: Sequence[Project], declared: Mapping[str, Collection[str]], *, write: bool = True
    ) -> KubeconfigPass:
        """The kubeconfig credentials of ``projects`` (``declared``: credential ids declared through the
        API per project, which win) and the synced ones to remove. Rows for new credentials are written
        before anything reaches Jenkins, so a removal is never forgotten (``write=False``: a dry run,
        no row is written)."""
        self._write = write
        states = self._inventory.states()
        by_name = {s.record.name: s for s in states}
        entitled = entitlements(
            projects, self._book.workspaces(), self._inventory.placements(), states, self._policy
        )
        rows = {(r.project, r.credential_id): r for r in self._book.states(list(entitled))}
        kubeconfigs: dict[str, str | None] = {}
        scoped = self._scoped.kubeconfigs(list(entitled)) if self._scoped is not None else {}
        result = KubeconfigPass()
        keep: set[tuple[str, str]] = set()
        for project, clusters in entitled.items():
            for cluster in clusters:
                own = self._scoped is not None and self._scoped.is_scoped(cluster)
                if own and (project, cluster) not in scoped:
                    continue  # scoped, and not granted (yet): never the cluster's own kubeconfig
                cid = credential_id(self._prefix, cluster)
                keep.add((project, cid))
                row = rows.get((project, cid))
                if cid in declared.get(project, ()):
                    message = SHADOWED.format(id=cid, cluster=cluster)
                    self._put_row(project, cluster, cid, KubeconfigSyncStatus.CONFLICT, message, row)
                    continue
                if own:
                    kubeconfig: str | None = scoped[(project, cluster)]
                else:
                    if cluster not in kubeconfigs:
                        kubeconfigs[cluster] = self._inventory.kubeconfig(cluster)
                    kubeconfig = kubeconfigs[cluster]
                if not kubeconfig:
                    continue  # gone between the two reads: the next pass sees it
                ref = Ref(CREDENTIAL, project, cid)
                credential = kubeconfig_credential(
                    project, cluster, prefix=self._prefix, kubeconfig=kubeconfig
                )
                result.wanted[ref] = Wanted(cluster, credential, by_name[cluster].generation)
                if row is None or row.cluster != cluster or row.status is KubeconfigSyncStatus.CONFLICT:
                    self._put_row(project, cluster, cid, KubeconfigSyncStatus.PENDING, None, row)
        for key, row in rows.items():
            if key in keep:
                continue
            if row.status is KubeconfigSyncStatus.CONFLICT or key[1] in declared.get(key[0], ()):
                self._forget_row(*key)  # never written by the sync (or the user's credential replaced it)
                continue
            result.removals[Ref(CREDENTIAL, row.project, row.credential_id)] = row.cluster
        self._current = result
        return result

    def record(self, ref: Ref, status: SyncStatus, message: str | None) -> bool:
        """The outcome of applying ``ref``; False when it is not a kubeconfig of this pass."""
        wanted = self._current.wanted.get(ref)
        if wanted is not None:
            kind = {
                SyncStatus.SYNCED: KubeconfigSyncStatus.SYNCED,
                SyncStatus.PENDING: KubeconfigSyncStatus.PENDING,
            }.get(status, KubeconfigSyncStatus.ERROR)
            generation = wanted.generation if kind is KubeconfigSyncStatus.SYNCED else None
            key = (ref.project, ref.name)
            if self._recorded.get(key) == (kind, message, generation):
                return True
            if kind is KubeconfigSyncStatus.SYNCED:
                self._book.put(
                    KubeconfigSyncState(
                        project=ref.project,
                        cluster=wanted.cluster,
                        credential_id=ref.name,
                        status=kind,
                        synced_generation=generation,
                        synced_at=datetime.now(UTC),
                    )
                )
            else:
                self._book.set_status(ref.project, ref.name, kind, message)
            self._recorded[key] = (kind, message, generation)
            return True
        if ref in self._current.removals:
            if status is not SyncStatus.SYNCED:
                self._book.set_status(ref.project, ref.name, KubeconfigSyncStatus.ERROR, message)
            return True
        return False

    def removed(self, ref: Ref) -> None:
        """Jenkins no longer holds the credential (or it was never ours): forget its row."""
        if ref in self._current.removals and ref not in self._current.wanted:
            self._forget_row(ref.project, ref.name)

    # --- the inventory's side -------------------------------------------------------------------

    def on_change(self, change: ClusterChange) -> None:
        """Inventory listener: queue every project whose folder may hold or get this cluster."""
        with self._lock:
            workspaces = self._book.workspaces()
            states = self._inventory.states()
            placements = self._inventory.placements()
            using = [
                w for w in workspaces.values() if change.name in available_clusters(w, placements, states)
            ]
            affected = set(self._book.projects_in([w.name for w in using]))
            affected |= {r.project for r in self._book.of_cluster(change.name)}
            self._book.mark_dirty(affected)
        log.info(
            "cluster %s %s: %d projects queued for kubeconfig sync", change.name, change.kind, len(affected)
        )

    # --- helpers ----------------------------------------------------------------------------------

    def _put_row(
        self,
        project: str,
        cluster: str,
        cid: str,
        status: KubeconfigSyncStatus,
        message: str | None,
        row: KubeconfigSyncState | None,
    ) -> None:
        if not self._write:
            return
        if row is not None and (row.cluster, row.status, row.message) == (cluster, status, message):
            return
        self._book.put(
            KubeconfigSyncState(
                project=project,
                cluster=cluster,
                credential_id=cid,
                status=status,
                synced_generation=row.synced_generation if row is not None else None,
                synced_at=row.synced_at if row is not None else None,
                message=message,
            )
        )
        self._recorded.pop((project, cid), None)

    def _forget_row(self, project: str, cid: str) -> None:
        if not self._write:
            return
        self._book.remove(project, cid)
        self._recorded.pop((project, cid), None)


def add_kubeconfigs(
    sync: KubeconfigSync,
    projects: Sequence[Project],
    rendered: dict[Ref, Rendered],
    tombstones: dict[Ref, list[Tombstone]],
    *,
    key: bytes,
    mode: KubeconfigMode,
    dry_run: bool = False,
) -> KubeconfigPass:
    """Add this pass's kubeconfig credentials to ``rendered`` and its removals to ``tombstones``."""
    declared: dict[str, set[str]] = {}
    for ref in rendered:
        if ref.kind == CREDENTIAL:
            declared.setdefault(ref.project, set()).add(ref.name)
    planned = sync.plan(projects, declared, write=not dry_run)
    for ref, wanted in planned.wanted.items():
        rendered[ref] = render_credential(wanted.credential, key=key, mode=mode)
    for ref in planned.removals:
        tombstones.setdefault(ref, [])
    return planned
