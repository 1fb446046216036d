"""``DesiredState`` (the reconciler's port) implemented on the store."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence, Set

from sqlalchemy import and_, or_, select

from bridge.domain.model import Credential, Pipeline, Project, SyncState, SyncStatus
from bridge.identity.roles import Role
from bridge.identity.tenancy import Member
from bridge.reconcile.ports import DesiredState, ObjectKey, Tombstone
from bridge.store.unit import Store


class StoreDesiredState(DesiredState):
    def __init__(self, store: Store) -> None:
        self.store = store

    def projects(self) -> Sequence[Project]:
        with self.store.read() as tx:
            return [s.obj for s in tx.projects.list()]

    def project(self, name: str) -> Project | None:
        with self.store.read() as tx:
            stored = tx.projects.get(name)
        return None if stored is None else stored.obj

    def credentials(self, project: str) -> Sequence[Credential]:
        with self.store.read() as tx:
            return [s.obj for s in tx.credentials.list(project)]

    def pipelines(self, project: str) -> Sequence[Pipeline]:
        with self.store.read() as tx:
            return [s.obj for s in tx.pipelines.list(project)]

    def members(self, project: str) -> Sequence[Member]:
        """Bindings on the project and on its workspace, in one query (highest role merged later)."""
        from bridge.identity.tables import role_bindings  # the identity tables live on this metadata
        from bridge.store.tables import projects

        b = role_bindings.c
        home = select(projects.c.workspace).where(projects.c.name == project).scalar_subquery()
        query = select(b.subject_kind, b.subject, b.role).where(
            or_(
                and_(b.scope == "project", b.scope_name == project),
                and_(b.scope == "workspace", b.scope_name == home),
            )
        )
        with self.store.read() as tx:
            rows = tx.conn.execute(query).all()
        return [
            Member(group=r.subject_kind == "group", subject=r.subject, role=Role.parse(r.role)) for r in rows
        ]

    def tombstones(self) -> Sequence[Tombstone]:
        with self.store.read() as tx:
            return tx.tombstones.list()

    def forget_tombstone(self, tombstone: Tombstone) -> None:
        with self.store.write() as tx:
            tx.tombstones.forget(tombstone)

    def record_sync(self, key: ObjectKey, state: SyncState) -> None:
        """Ignored for objects deleted meanwhile; a success does not hide a newer write still queued."""
        with self.store.write() as tx:
            if not tx.sync.exists(key):
                return
            if state.status is SyncStatus.SYNCED and tx.dirty.contains(key):
                return
            tx.sync.set(key, state)

    def take_dirty(self, limit: int = 100) -> Sequence[ObjectKey]:
        with self.store.write() as tx:
            return tx.dirty.take(limit)

    def owned(self, projects: Collection[str]) -> Set[ObjectKey]:
        with self.store.read() as tx:
            return tx.owned.list(projects)

    def record_owned(self, *, add: Iterable[ObjectKey] = (), remove: Iterable[ObjectKey] = ()) -> None:
        with self.store.write() as tx:
            tx.owned.remove(remove)
            tx.owned.add(add)
