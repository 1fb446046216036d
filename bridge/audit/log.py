"""Audit entries and the service that appends and reads them.

There is deliberately no update here, and the table refuses updates and deletes (triggers from
revisions ``0002_identity`` and ``0005_audit_chain``; only ``audit prune`` deletes, through a
checkpoint, see ``bridge.audit.integrity``). Each row is chained to the one before it
(``bridge.audit.chain``): ``append_in`` takes the chain's lock (PostgreSQL: an advisory transaction lock;
SQLite: the immediate write transaction already serialises writers), reads the head and inserts, so
concurrent writers in several processes still build one unbroken chain.

A successful change writes its entry inside its own transaction (``bridge.audit.recorder``); denied
and failed requests are appended after the response is known.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select, text

from bridge.audit.chain import GENESIS, row_hash
from bridge.identity.tables import audit_checkpoints, audit_log, writing
from bridge.store.records import utc as as_utc

MAX_PAGE = 500
#: ``pg_advisory_xact_lock`` key serialising appends to the chain ("jbau": arbitrary, constant).
CHAIN_LOCK_ID = 0x6A62_6175


class Outcome(enum.StrEnum):
    SUCCESS = "success"  # 2xx/3xx
    DENIED = "denied"  # 403, or 404 from the access check
    UNAUTHENTICATED = "unauthenticated"  # 401
    FAILED = "failed"  # any other 4xx/5xx

    @classmethod
    def of_status(cls, status: int) -> Outcome:
        if status < 400:
            return cls.SUCCESS
        if status == 401:
            return cls.UNAUTHENTICATED
        if status == 403:
            return cls.DENIED
        return cls.FAILED


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    actor_source: str
    address: str
    method: str
    path: str
    action: str
    outcome: Outcome
    status: int
    request_id: str
    project: str | None = None
    token_id: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class AuditQuery:
    project: str | None = None
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None  # page backwards: entries older than this id
    limit: int = 100


def _values(entry: AuditEntry) -> dict[str, object]:
    """The column values as stored (bounded to the column sizes), which is what the hash covers."""
    return {
        "at": as_utc(entry.at),
        "actor": entry.actor[:253],
        "actor_source": entry.actor_source[:16],
        "token_id": entry.token_id[:32] if entry.token_id else None,
        "address": entry.address[:64],
        "method": entry.method[:8],
        "path": entry.path[:512],
        "action": entry.action[:64],
        "project": entry.project[:63] if entry.project else None,
        "outcome": entry.outcome.value,
        "status": entry.status,
        "request_id": entry.request_id[:64],
    }


def chain_head(conn: Connection) -> str:
    """The hash the next row chains from: the newest row's, else the newest checkpoint's (everything
    was pruned), else ``GENESIS``."""
    head = conn.execute(select(audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)).scalar()
    if head is None:
        head = conn.execute(
            select(audit_checkpoints.c.through_hash).order_by(audit_checkpoints.c.id.desc()).limit(1)
        ).scalar()
    return str(head) if head else GENESIS


def lock_chain(conn: Connection) -> None:
    """Serialise chain writers until this transaction ends (SQLite: the write lock already does)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": CHAIN_LOCK_ID})


def _next_sqlite_id(conn: Connection) -> int:
    """SQLite reuses the ids of deleted rows at the end of a table; after ``audit prune`` removed every
    row, a new row must still come after the checkpoint, so the id is chosen here (under the write
    lock), past both the newest row and the newest checkpoint."""
    newest = conn.execute(select(func.max(audit_log.c.id))).scalar()
    pruned = conn.execute(select(func.max(audit_checkpoints.c.through_id))).scalar()
    return max(newest or 0, pruned or 0) + 1


#: Everything an append needs to know about the chain, in one statement: the newest row's hash and id,
#: the newest checkpoint's hash and the last id it covers (``chain_head``, ``_next_sqlite_id``).
_HEAD = select(
    select(audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1).scalar_subquery(),
    select(audit_checkpoints.c.through_hash)
    .order_by(audit_checkpoints.c.id.desc())
    .limit(1)
    .scalar_subquery(),
    select(func.max(audit_log.c.id)).scalar_subquery(),
    select(func.max(audit_checkpoints.c.through_id)).scalar_subquery(),
)
_INSERT = audit_log.insert()


def append_in(conn: Connection, entry: AuditEntry) -> int:
    """Append ``entry`` in the caller's write transaction, chained to the current head; its row id."""
    return append_all_in(conn, [entry])[0]


def append_all_in(conn: Connection, entries: Sequence[AuditEntry]) -> list[int]:
    """Append ``entries`` in order in the caller's write transaction, each chained to the one before:
    one read of the chain's head for them all (``apply -f`` audits a project's writes so). Row ids."""
    if not entries:
        return []
    lock_chain(conn)
    head, checkpoint, newest, pruned = conn.execute(_HEAD).one()
    prev = str(head or checkpoint or "") or GENESIS
    next_id = max(newest or 0, pruned or 0) + 1  # see _next_sqlite_id
    ids: list[int] = []
    for entry in entries:
        values = _values(entry)
        digest = row_hash(values, prev)
        values |= {"prev_hash": prev, "hash": digest}
        if conn.dialect.name == "sqlite":
            values["id"] = next_id
            next_id += 1
        inserted = conn.execute(_INSERT, values).inserted_primary_key
        ids.append(int(inserted[0]) if inserted else 0)
        prev = digest
    return ids


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=as_utc(row.at) or datetime.now(UTC),
        actor=row.actor,
        actor_source=row.actor_source,
        token_id=row.token_id,
        address=row.address,
        method=row.method,
        path=row.path,
        action=row.action,
        project=row.project,
        outcome=Outcome(row.outcome),
        status=row.status,
        request_id=row.request_id,
    )


class AuditLog:
    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] | None = None) -> None:
        self._engine = engine
        self._clock = clock or (lambda: datetime.now(UTC))

    def append(self, entry: AuditEntry) -> None:
        """Append in a transaction of its own."""
        with writing(self._engine) as conn, conn.begin():
            append_in(conn, entry)

    def query(self, q: AuditQuery) -> list[AuditEntry]:
        """Newest first, at most ``min(q.limit, MAX_PAGE)`` entries."""
        c = audit_log.c
        stmt = select(audit_log).order_by(c.id.desc()).limit(max(1, min(q.limit, MAX_PAGE)))
        if q.project is not None:
            stmt = stmt.where(c.project == q.project)
        if q.actor is not None:
            stmt = stmt.where(c.actor == q.actor)
        if q.action is not None:
            stmt = stmt.where(c.action == q.action)
        if q.since is not None:
            stmt = stmt.where(c.at >= as_utc(q.since))
        if q.until is not None:
            stmt = stmt.where(c.at < as_utc(q.until))
        if q.before_id is not None:
            stmt = stmt.where(c.id < q.before_id)
        with self._engine.connect() as conn:
            return [_entry(row) for row in conn.execute(stmt)]
