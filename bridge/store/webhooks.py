"""Webhook delivery rows (``webhook_deliveries``): stored before the provider's 202, then worked off.

``add`` is insert-or-ignore on the delivery's unique key, so a provider's re-send of one delivery
adds nothing; ``due`` hands the worker what to run, oldest first; ``started``/``retry``/``failed``
record each attempt's outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update

from bridge.store.bookkeeping import dialect_insert
from bridge.store.records import utc
from bridge.store.tables import webhook_deliveries as d

Clock = Callable[[], datetime]

QUEUED, STARTED, FAILED, IGNORED, UNMATCHED = "queued", "started", "failed", "ignored", "unmatched"
KEY = ("provider", "delivery", "project", "pipeline", "ref")
#: The receiver's two statements, built once: a burst runs them hundreds of times a second, and
#: building them per call cost more than executing them (bench/webhooks.py).
#: The duplicate check reads the unique key's index (provider first): never a scan of every delivery.
_TAKEN = select(*(d.c[k] for k in KEY)).where(
    d.c.provider == bindparam("provider"), d.c.delivery.in_(bindparam("deliveries", expanding=True))
)


@cache
def _insert(dialect: str) -> Any:
    """The receiver's insert for ``dialect``, built once (on first use: the dialect is imported then)."""
    return dialect_insert(dialect)(d).on_conflict_do_nothing(index_elements=list(KEY))


@dataclass(frozen=True)
class _Delivery:
    """What a delivery row holds from the moment it is received."""

    provider: str
    delivery: str
    event: str
    project: str
    pipeline: str
    repo_url: str
    ref: str
    commit: str
    pusher: str
    signed: bool
    parameters: dict[str, str]
    status: str


@dataclass(frozen=True)
class NewDelivery(_Delivery):
    error: str | None = None


@dataclass(frozen=True)
class DeliveryRow(_Delivery):
    id: int
    attempts: int
    error: str | None
    queue_id: int | None
    received_at: datetime
    queued_at: datetime
    next_attempt_at: datetime | None
    updated_at: datetime


def _row(r: Any) -> DeliveryRow:
    values = dict(r._mapping)
    for name in ("received_at", "queued_at", "next_attempt_at", "updated_at"):
        values[name] = utc(values[name])
    values["parameters"] = dict(values["parameters"] or {})
    return DeliveryRow(**values)


class DeliveryRepo:
    def __init__(self, conn: Connection, clock: Clock) -> None:
        self.conn, self.clock = conn, clock

    def add_all(self, rows: Sequence[NewDelivery]) -> int:
        """Insert the rows a delivery produced, skipping any already stored; how many were new."""
        return self.add_groups([rows])[0]

    def add_groups(self, groups: Sequence[Sequence[NewDelivery]]) -> list[int]:
        """Insert the rows of several deliveries in two statements (one read of the keys already stored,
        one insert); for each group, how many of its rows were new."""
        rows = [r for g in groups for r in g]
        if not rows:
            return [0 for _ in groups]
        taken: set[tuple[str, ...]] = set()
        for provider in sorted({r.provider for r in rows}):
            ids = sorted({r.delivery for r in rows if r.provider == provider})
            found = self.conn.execute(_TAKEN, {"provider": provider, "deliveries": ids}).all()
            taken |= {tuple(k) for k in found}
        counts: list[int] = []
        fresh: list[NewDelivery] = []
        for g in groups:
            n = 0
            for r in g:
                k = (r.provider, r.delivery, r.project, r.pipeline, r.ref)
                if k not in taken:
                    taken.add(k)
                    fresh.append(r)
                    n += 1
            counts.append(n)
        if fresh:
            self._insert(fresh)
        return counts

    def _insert(self, rows: Sequence[NewDelivery]) -> None:
        now = self.clock()
        values = [
            {
                **r.__dict__,
                "attempts": 0,
                "queue_id": None,
                "received_at": now,
                "queued_at": now,
                "next_attempt_at": now if r.status == QUEUED else None,
                "updated_at": now,
            }
            for r in rows
        ]
        # another process may have stored one meanwhile (PostgreSQL): insert-or-ignore all the same
        self.conn.execute(_insert(self.conn.dialect.name), values)

    def due(self, now: datetime, limit: int) -> list[DeliveryRow]:
        query = (
            select(d)
            .where(d.c.status == QUEUED, d.c.next_attempt_at <= now)
            .order_by(d.c.next_attempt_at, d.c.id)
            .limit(limit)
        )
        return [_row(r) for r in self.conn.execute(query)]

    def get(self, delivery_id: int) -> DeliveryRow | None:
        found = self.conn.execute(select(d).where(d.c.id == delivery_id)).first()
        return None if found is None else _row(found)

    def list(
        self, project: str, pipeline: str | None, *, before: int | None, limit: int
    ) -> list[DeliveryRow]:
        """Newest first; ``before``: the id the previous page ended with."""
        query = select(d).where(d.c.project == project).order_by(d.c.id.desc()).limit(limit)
        if pipeline is not None:
            query = query.where(d.c.pipeline == pipeline)
        if before is not None:
            query = query.where(d.c.id < before)
        return [_row(r) for r in self.conn.execute(query)]

    def _set(self, delivery_id: int, **values: object) -> None:
        self.conn.execute(update(d).where(d.c.id == delivery_id).values(updated_at=self.clock(), **values))

    def started(self, delivery_id: int, queue_id: int) -> None:
        self._set(
            delivery_id,
            status=STARTED,
            queue_id=queue_id,
            error=None,
            attempts=d.c.attempts + 1,
            next_attempt_at=None,
        )

    def retry(self, delivery_id: int, error: str, at: datetime) -> None:
        self._set(delivery_id, error=error, attempts=d.c.attempts + 1, next_attempt_at=at)

    def wait(self, delivery_id: int, error: str, at: datetime) -> None:
        """Not attempted (the pipeline is not in Jenkins yet): look again at ``at``."""
        self._set(delivery_id, error=error, next_attempt_at=at)

    def failed(self, delivery_id: int, error: str, *, attempted: bool = True) -> None:
        attempts = d.c.attempts + 1 if attempted else d.c.attempts
        self._set(delivery_id, status=FAILED, error=error, attempts=attempts, next_attempt_at=None)

    def requeue(self, delivery_id: int) -> None:
        now = self.clock()
        self._set(
            delivery_id,
            status=QUEUED,
            error=None,
            attempts=0,
            queue_id=None,
            queued_at=now,
            next_attempt_at=now,
        )

    def commits_by_ref(self, project: str, pipeline: str) -> dict[str, set[str]]:
        """Every commit a row of this pipeline names, by ref (what the ref poll must not run again)."""
        query = select(d.c.ref, d.c.commit).where(d.c.project == project, d.c.pipeline == pipeline)
        out: dict[str, set[str]] = {}
        for ref, commit in self.conn.execute(query).all():
            out.setdefault(ref, set()).add(commit)
        return out

    def started_before(self, row: DeliveryRow) -> int | None:
        """Another row of the same pipeline, ref and commit whose run was started (its id), if any."""
        query = select(d.c.id).where(
            d.c.project == row.project,
            d.c.pipeline == row.pipeline,
            d.c.ref == row.ref,
            d.c.commit == row.commit,
            d.c.status == STARTED,
            d.c.id != row.id,
        )
        found = self.conn.execute(query.limit(1)).scalar()
        return None if found is None else int(found)

    def skipped(self, delivery_id: int, reason: str) -> None:
        self._set(delivery_id, status=IGNORED, error=reason, next_attempt_at=None)

    def counts(self) -> dict[str, int]:
        query = select(d.c.status, func.count()).group_by(d.c.status)
        return {status: int(n) for status, n in self.conn.execute(query).all()}
