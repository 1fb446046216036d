"""Per-object bookkeeping keyed by ``Ref``: sync state, tombstones and the dirty-key queue.

The dirty-key table is how the API process hands work to the worker process: a write inserts its
key (a key already queued is left as is, so duplicates merge) and ``take`` deletes the keys it returns,
so two takers never get the same key.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from bridge.domain.model import SyncState, SyncStatus
from bridge.reconcile.ports import Kind, Ref, Tombstone
from bridge.store.records import sync_of, utc
from bridge.store.tables import credentials, dirty_keys, pipelines, projects, sync_states, tombstones

Clock = Callable[[], datetime]


def key_where(table: Table, key: Ref) -> tuple[Any, ...]:
    return (table.c.kind == key.kind.value, table.c.project == key.project, table.c.name == key.name)


def key_values(key: Ref) -> dict[str, str]:
    return {"kind": key.kind.value, "project": key.project, "name": key.name}


def key_of(row: Any) -> Ref:
    return Ref(Kind(row.kind), row.project, row.name)


def insert_for(conn: Connection, table: Table) -> Any:
    """An INSERT that supports ``on_conflict_do_*`` on the connection's dialect."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


class SyncRepo:
    def __init__(self, conn: Connection, clock: Clock) -> None:
        self.conn, self.clock = conn, clock

    def get(self, key: Ref) -> SyncState | None:
        row = self.conn.execute(select(sync_states).where(*key_where(sync_states, key))).first()
        return None if row is None else sync_of(row)

    def set(self, key: Ref, state: SyncState) -> None:
        values = {"status": state.status.value, "synced_at": state.synced_at, "message": state.message}
        values["updated_at"] = self.clock()
        stmt = insert_for(self.conn, sync_states).values(**key_values(key), **values)
        stmt = stmt.on_conflict_do_update(index_elements=["kind", "project", "name"], set_=values)
        self.conn.execute(stmt)

    def forget(self, key: Ref) -> None:
        self.conn.execute(delete(sync_states).where(*key_where(sync_states, key)))

    def forget_project(self, project: str) -> None:
        """Drops the sync rows of a project and of everything in it."""
        self.conn.execute(delete(sync_states).where(sync_states.c.project == project))

    def counts(self) -> Counter[tuple[str, str]]:
        query = select(sync_states.c.kind, sync_states.c.status, func.count()).group_by(
            sync_states.c.kind, sync_states.c.status
        )
        return Counter({(kind, status): n for kind, status, n in self.conn.execute(query)})

    def failing(self, limit: int = 100) -> list[tuple[Ref, SyncState]]:
        query = (
            select(sync_states)
            .where(sync_states.c.status == SyncStatus.ERROR.value)
            .order_by(sync_states.c.kind, sync_states.c.project, sync_states.c.name)
            .limit(limit)
        )
        return [(key_of(r), sync_of(r)) for r in self.conn.execute(query)]

    def exists(self, key: Ref) -> bool:
        """Whether the object the key names is live (sync rows are kept only for live objects)."""
        if key.kind is Kind.PROJECT:
            query = select(projects.c.name).where(projects.c.name == key.project)
        elif key.kind is Kind.CREDENTIAL:
            query = select(credentials.c.id).where(
                credentials.c.project == key.project, credentials.c.id == key.name
            )
        else:
            query = select(pipelines.c.name).where(
                pipelines.c.project == key.project, pipelines.c.name == key.name
            )
        return self.conn.execute(query).first() is not None


class TombstoneRepo:
    def __init__(self, conn: Connection, clock: Clock) -> None:
        self.conn, self.clock = conn, clock

    def add(self, key: Ref, jenkins: str = "default") -> None:
        stmt = insert_for(self.conn, tombstones).values(
            **key_values(key), jenkins=jenkins, created_at=self.clock()
        )
        self.conn.execute(stmt.on_conflict_do_nothing())

    def list(self) -> list[Tombstone]:
        query = select(tombstones).order_by(tombstones.c.created_at, tombstones.c.kind, tombstones.c.project)
        return [Tombstone(key=key_of(r), jenkins=r.jenkins) for r in self.conn.execute(query)]

    def forget(self, tombstone: Tombstone) -> None:
        where = (*key_where(tombstones, tombstone.key), tombstones.c.jenkins == tombstone.jenkins)
        self.conn.execute(delete(tombstones).where(*where))

    def forget_children(self, project: str) -> None:
        """A project's folder delete removes everything inside it, so item tombstones are redundant."""
        where = (tombstones.c.project == project, tombstones.c.kind != Kind.PROJECT.value)
        self.conn.execute(delete(tombstones).where(*where))

    def count(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(tombstones)).scalar_one())


class DirtyRepo:
    def __init__(self, conn: Connection, clock: Clock, *, on_add: Callable[[], None] | None = None) -> None:
        self.conn, self.clock, self._on_add = conn, clock, on_add

    def add(self, key: Ref) -> None:
        stmt = insert_for(self.conn, dirty_keys).values(**key_values(key), enqueued_at=self.clock())
        self.conn.execute(stmt.on_conflict_do_nothing())
        if self._on_add is not None:
            self._on_add()

    def contains(self, key: Ref) -> bool:
        return (
            self.conn.execute(select(dirty_keys.c.kind).where(*key_where(dirty_keys, key))).first()
            is not None
        )

    def take(self, limit: int = 100) -> list[Ref]:
        """Oldest keys first; each returned key is removed, so it is handed out once."""
        query = select(dirty_keys).order_by(dirty_keys.c.enqueued_at, dirty_keys.c.kind).limit(limit)
        taken: list[Ref] = []
        for row in self.conn.execute(query).all():
            key = key_of(row)
            if self.conn.execute(delete(dirty_keys).where(*key_where(dirty_keys, key))).rowcount == 1:
                taken.append(key)
        return taken

    def remove_children(self, project: str) -> None:
        where = (dirty_keys.c.project == project, dirty_keys.c.kind != Kind.PROJECT.value)
        self.conn.execute(delete(dirty_keys).where(*where))

    def count(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(dirty_keys)).scalar_one())

    def oldest(self) -> datetime | None:
        oldest: datetime | None = self.conn.execute(select(func.min(dirty_keys.c.enqueued_at))).scalar_one()
        return utc(oldest)
