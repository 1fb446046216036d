"""Kubeconfig sync bookkeeping: one row per (project, credential id) the sync manages in a folder.

A row is written before its credential is first created in Jenkins and removed only once Jenkins no
longer holds it (or never did), so a cluster that leaves a workspace is removed from exactly the
folders that got it, even across restarts. The rows are also the sync state the API shows per
(project, cluster). They hold no kubeconfig. Created by Alembic revision ``0008_kubeconfig_sync``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    delete,
    select,
    update,
)

from bridge.domain.kubeconfigs import KubeconfigSyncState, KubeconfigSyncStatus
from bridge.domain.model import Workspace
from bridge.reconcile.ports import Kind, Ref
from bridge.store.bookkeeping import insert_for
from bridge.store.engine import WRITE
from bridge.store.records import utc
from bridge.store.tables import NAME, metadata, projects
from bridge.store.unit import Store

kubeconfig_sync = Table(
    "kubeconfig_sync",
    metadata,
    Column("project", String(NAME), ForeignKey("projects.name", ondelete="CASCADE"), primary_key=True),
    Column("credential_id", String(128), primary_key=True),
    Column("cluster", String(NAME), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("synced_generation", Integer, nullable=True),
    Column("synced_at", DateTime(timezone=True), nullable=True),
    Column("message", Text, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


class KubeconfigSyncStore:
    """Implements ``bridge.reconcile.kubeconfigs.SyncBook`` on the store."""

    def __init__(self, store: Store, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._store, self._clock = store, clock

    def workspaces(self) -> dict[str, Workspace]:
        with self._store.read() as tx:
            return {w.obj.name: w.obj for w in tx.workspaces.list()}

    def states(self, projects: Collection[str] | None = None) -> list[KubeconfigSyncState]:
        query = select(kubeconfig_sync).order_by(kubeconfig_sync.c.project, kubeconfig_sync.c.credential_id)
        if projects is not None:
            query = query.where(kubeconfig_sync.c.project.in_(sorted(projects)))
        with self._store.engine.connect() as conn:
            return [_state(r) for r in conn.execute(query)]

    def of_cluster(self, cluster: str) -> list[KubeconfigSyncState]:
        query = select(kubeconfig_sync).where(kubeconfig_sync.c.cluster == cluster)
        with self._store.engine.connect() as conn:
            return [_state(r) for r in conn.execute(query.order_by(kubeconfig_sync.c.project))]

    def put(self, state: KubeconfigSyncState) -> None:
        """Insert or replace the row (a project deleted meanwhile is skipped)."""
        values = {
            "cluster": state.cluster,
            "status": state.status.value,
            "synced_generation": state.synced_generation,
            "synced_at": state.synced_at,
            "message": state.message,
            "updated_at": self._clock(),
        }
        with self._writing() as conn, conn.begin():
            live = select(projects.c.name).where(projects.c.name == state.project)
            if conn.execute(live).first() is None:
                return
            stmt = insert_for(conn, kubeconfig_sync).values(
                project=state.project, credential_id=state.credential_id, **values
            )
            conn.execute(stmt.on_conflict_do_update(index_elements=["project", "credential_id"], set_=values))

    def set_status(
        self, project: str, credential_id: str, status: KubeconfigSyncStatus, message: str | None
    ) -> None:
        """Change a row's status only (keeps what was last synced)."""
        where = (kubeconfig_sync.c.project == project, kubeconfig_sync.c.credential_id == credential_id)
        values = {"status": status.value, "message": message, "updated_at": self._clock()}
        with self._writing() as conn, conn.begin():
            conn.execute(update(kubeconfig_sync).where(*where).values(**values))

    def remove(self, project: str, credential_id: str) -> None:
        where = (kubeconfig_sync.c.project == project, kubeconfig_sync.c.credential_id == credential_id)
        with self._writing() as conn, conn.begin():
            conn.execute(delete(kubeconfig_sync).where(*where))

    def mark_dirty(self, project_names: Iterable[str]) -> None:
        """Queue these projects for the next poll (the worker's dirty-key queue)."""
        names = sorted(set(project_names))
        if not names:
            return
        with self._store.write() as tx:
            for name in names:
                tx.dirty.add(Ref(Kind.PROJECT, name))

    def projects_in(self, workspace_names: Collection[str]) -> list[str]:
        query = select(projects.c.name).where(projects.c.workspace.in_(sorted(workspace_names)))
        with self._store.engine.connect() as conn:
            return [r.name for r in conn.execute(query.order_by(projects.c.name))]

    def _writing(self) -> Connection:
        return self._store.engine.connect().execution_options(**{WRITE: True})


def _state(row: Any) -> KubeconfigSyncState:
    return KubeconfigSyncState(
        project=row.project,
        cluster=row.cluster,
        credential_id=row.credential_id,
        status=KubeconfigSyncStatus(row.status),
        synced_generation=row.synced_generation,
        synced_at=utc(row.synced_at),
        message=row.message,
        updated_at=utc(row.updated_at),
    )
