"""Per-object bookkeeping keyed by ``Ref``: sync state, tombstones and the dirty-key queue.

The dirty-key table is how the API process hands work to the worker process: a write inserts its
key (a key already queued is left as is, so duplicates merge) and ``take`` deletes the keys it returns,
so two takers never get the same key.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, func, select

from bridge.domain.model import SyncState, SyncStatus
from bridge.reconcile.ports import Kind, Ref, Tombstone
from bridge.store.records import sync_of, utc
from bridge.store.tables import credentials, dirty_keys, pipelines, projects, sync_states, tombstones

Clock = Callable[[], datetime]
_KEY = ("kind", "project", "name")


def key_where(table: Table, key: Ref) -> tuple[Any, ...]:
    return (table.c.kind == key.kind.value, table.c.project == key.project, table.c.name == key.name)


def key_match(table: Table) -> tuple[Any, ...]:
    """``key_where`` with parameters ``k``, ``p``, ``n`` (``key_params``): for statements built once."""
    return (table.c.kind == bindparam("k"), table.c.project == bindparam("p"), table.c.name == bindparam("n"))


def key_params(key: Ref) -> dict[str, str]:
    return {"k": key.kind.value, "p": key.project, "n": key.name}


def key_values(key: Ref) -> dict[str, str]:
    return {"kind": key.kind.value, "project": key.project, "name": key.name}


def key_of(row: Any) -> Ref:
    return Ref(Kind(row.kind), row.project, row.name)


def insert_for(conn: Connection, table: Table) -> Any:
    """An INSERT that supports ``on_conflict_do_*`` on the connection's dialect."""
    return dialect_insert(conn.dialect.name)(table)


def dialect_insert(dialect: str) -> Any:
    """The dialect's own ``insert``, imported when first used (a SQLite store never loads the
    PostgreSQL dialect, a tenth of a CLI command's start-up)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


@cache
def _upsert(dialect: str, table: Table, index: tuple[str, ...], columns: tuple[str, ...]) -> Any:
    """``INSERT ... ON CONFLICT (index) DO UPDATE SET column = excluded.column`` (or ``DO NOTHING``
    without ``columns``), built once: values are passed as parameters, so SQLAlchemy's compiled cache
    is hit without walking the values on every call (the hot path of every write)."""
    stmt = dialect_insert(dialect)(table)
    if not columns:
        return stmt.on_conflict_do_nothing()
    return stmt.on_conflict_do_update(index_elements=list(index), set_={c: stmt.excluded[c] for c in columns})


def upsert(
    conn: Connection,
    table: Table,
    values: dict[str, Any] | list[dict[str, Any]],
    *,
    index: Sequence[str],
    update: Sequence[str],
) -> None:
    """Insert ``values`` (a row, or rows in one batch); on a conflict on ``index`` set the ``update``
    columns (none: keep the row)."""
    conn.execute(_upsert(conn.dialect.name, table, tuple(index), tuple(update)), values)


# Statements run once per object by every pass and write, built once (see ``upsert``).
_LIVE = {
    Kind.PROJECT: select(projects.c.name).where(projects.c.name == bindparam("p")),
    Kind.CREDENTIAL: select(credentials.c.id).where(
        credentials.c.project == bindparam("p"), credentials.c.id == bindparam("n")
    ),
    Kind.PIPELINE: select(pipelines.c.name).where(
        pipelines.c.project == bindparam("p"), pipelines.c.name == bindparam("n")
    ),
}
_DIRTY_CONTAINS = select(dirty_keys.c.kind).where(*key_match(dirty_keys))
_DIRTY_DELETE = delete(dirty_keys).where(*key_match(dirty_keys))


class SyncRepo:
    def __init__(self, conn: Connection, clock: Clock) -> None:
        self.conn, self.clock = conn, clock

    def get(self, key: Ref) -> SyncState | None:
        row = self.conn.execute(select(sync_states).where(*key_where(sync_states, key))).first()
        return None if row is None else sync_of(row)

    def set(self, key: Ref, state: SyncState) -> None:
        values = {"status": state.status.value, "synced_at": state.synced_at, "message": state.message}
        values["updated_at"] = self.clock()
        upsert(self.conn, sync_states, key_values(key) | values, index=_KEY, update=tuple(values))

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
        query = _LIVE.get(key.kind, _LIVE[Kind.PIPELINE])
        params = {"p": key.project} if key.kind is Kind.PROJECT else {"p": key.project, "n": key.name}
        return self.conn.execute(query, params).first() is not None


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
        values = key_values(key) | {"enqueued_at": self.clock()}
        upsert(self.conn, dirty_keys, values, index=_KEY, update=())
        if self._on_add is not None:
            self._on_add()

    def contains(self, key: Ref) -> bool:
        return self.conn.execute(_DIRTY_CONTAINS, key_params(key)).first() is not None

    def take(self, limit: int = 100, *, projects: Collection[str] | None = None) -> list[Ref]:
        """Oldest keys first (of ``projects`` only, when given); each returned key is removed, so it
        is handed out once."""
        query = select(dirty_keys).order_by(dirty_keys.c.enqueued_at, dirty_keys.c.kind).limit(limit)
        if projects is not None:
            query = query.where(dirty_keys.c.project.in_(sorted(projects)))
        taken: list[Ref] = []
        for row in self.conn.execute(query).all():
            key = key_of(row)
            if self.conn.execute(_DIRTY_DELETE, key_params(key)).rowcount == 1:
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
