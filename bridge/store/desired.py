"""``DesiredState`` (the reconciler's port) implemented on the store."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence, Set

from sqlalchemy import and_, or_, select

from bridge.domain.model import Credential, Pipeline, Project, SyncState, SyncStatus
from bridge.domain.validation import Validation, hold_message, jenkinsfile_digest
from bridge.identity.roles import Role
from bridge.identity.tenancy import Member
from bridge.reconcile.ports import DesiredState, Kind, Ref, Tombstone
from bridge.store.unit import Store


class StoreDesiredState(DesiredState):
    def __init__(self, store: Store) -> None:
        self.store = store
        #: The projects whose dirty keys this worker takes (leases: those on the controllers it
        #: holds; the others stay queued for their worker); None: every key.
        self.scope: Callable[[], Collection[str]] | None = None

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
        """Pipelines to sync: one whose Jenkinsfile is invalid or not validated yet is held back."""
        with self.store.read() as tx:
            return [
                s.obj for s in tx.pipelines.list(project) if not (s.validation and s.validation.held_back)
            ]

    # -- Jenkinsfile validation left to the worker (``bridge.reconcile.validate``) ------------------------

    def pending_jenkinsfiles(self, limit: int = 50) -> Sequence[tuple[Ref, str]]:
        """Inline Jenkinsfiles Jenkins could not validate when they were written, oldest first."""
        out: list[tuple[Ref, str]] = []
        with self.store.read() as tx:
            for project, name, digest in tx.validations.pending(limit):
                stored = tx.pipelines.get(project, name)
                text = stored.obj.jenkinsfile if stored else None
                if text is not None and jenkinsfile_digest(text) == digest:
                    out.append((Ref(Kind.PIPELINE, project, name), text))
        return out

    def record_validation(self, key: Ref, text: str, validation: Validation) -> bool:
        """Store the verdict if ``text`` is still the pending Jenkinsfile; a pipeline it releases is queued
        for the next pass, one it holds back shows why in its sync state."""
        with self.store.write() as tx:
            if not tx.validations.settle(key.project, key.name, jenkinsfile_digest(text), validation):
                return False
            message = hold_message(validation)
            if message is not None:
                tx.sync.set(key, SyncState(status=SyncStatus.ERROR, message=message))
            else:
                tx.sync.set(key, SyncState())
                tx.dirty.add(key)
        return True

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

    def record_sync(self, key: Ref, state: SyncState) -> None:
        self.record_syncs([(key, state)])

    def record_syncs(self, states: Sequence[tuple[Ref, SyncState]]) -> None:
        """Ignored for objects deleted meanwhile; a success does not hide a newer write still queued."""
        if not states:
            return
        with self.store.write() as tx:
            for key, state in states:
                if not tx.sync.exists(key):
                    continue
                if state.status is SyncStatus.SYNCED and tx.dirty.contains(key):
                    continue
                tx.sync.set(key, state)

    def synced_folders(self, projects: Collection[str]) -> set[str]:
        """Of these projects, those whose folder is synced (where the project is placed now) and not
        queued again: a moved project's old folder may go."""
        with self.store.read() as tx:
            return {
                p
                for p in projects
                if (state := tx.sync.get(Ref(Kind.PROJECT, p))) is not None
                and state.status is SyncStatus.SYNCED
                and not tx.dirty.contains(Ref(Kind.PROJECT, p))
            }

    def take_dirty(self, limit: int = 100) -> Sequence[Ref]:
        projects = None if self.scope is None else set(self.scope())
        with self.store.write() as tx:
            return tx.dirty.take(limit, projects=projects)

    def owned(self, projects: Collection[str], *, jenkins: str = "default") -> Set[Ref]:
        with self.store.read() as tx:
            return tx.owned.list(projects, jenkins)

    def record_owned(
        self, *, add: Iterable[Ref] = (), remove: Iterable[Ref] = (), jenkins: str = "default"
    ) -> None:
        with self.store.write() as tx:
            tx.owned.remove(remove, jenkins)
            tx.owned.add(add, jenkins)
