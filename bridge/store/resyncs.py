"""Resync requests in the store: queued by the API, taken and finished by the worker.

``request`` is called inside the API write's transaction (the audit entry commits with it) and wakes a
worker in this process (``Store.subscribe``); a worker elsewhere takes it at its next poll. ``take``
marks every queued request ``running`` and returns them, so two workers never run the same request;
``finish`` writes the outcome the API shows (``GET /api/v1/sync``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select, update

from bridge.store.records import utc
from bridge.store.tables import resync_requests
from bridge.store.unit import Store

ResyncStatus = Literal["queued", "running", "done", "failed"]


@dataclass(frozen=True)
class ResyncRequest:
    id: int
    project: str | None  # None: every project
    deep: bool
    requested_by: str
    requested_at: datetime
    status: ResyncStatus = "queued"
    started_at: datetime | None = None
    finished_at: datetime | None = None
    message: str | None = None


def _of(row: Any) -> ResyncRequest:
    return ResyncRequest(
        id=row.id,
        project=row.project,
        deep=bool(row.deep),
        requested_by=row.requested_by,
        requested_at=utc(row.requested_at),
        status=row.status,
        started_at=utc(row.started_at) if row.started_at else None,
        finished_at=utc(row.finished_at) if row.finished_at else None,
        message=row.message,
    )


class ResyncQueue:
    def __init__(self, store: Store) -> None:
        self.store = store

    def request(self, project: str | None, *, deep: bool, requested_by: str) -> ResyncRequest:
        with self.store.write() as tx:
            now = tx.clock()
            values = {
                "project": project,
                "deep": deep,
                "requested_by": requested_by,
                "requested_at": now,
                "status": "queued",
            }
            inserted = tx.conn.execute(resync_requests.insert().values(**values)).inserted_primary_key
            assert inserted is not None
            row_id = inserted[0]
            tx.wake()
        return ResyncRequest(
            id=int(row_id), project=project, deep=deep, requested_by=requested_by, requested_at=now
        )

    def take(self) -> list[ResyncRequest]:
        """Every queued request, now ``running`` (oldest first)."""
        with self.store.write() as tx:
            rows = tx.conn.execute(
                select(resync_requests)
                .where(resync_requests.c.status == "queued")
                .order_by(resync_requests.c.id)
            ).all()
            if not rows:
                return []
            ids = [r.id for r in rows]
            tx.conn.execute(
                update(resync_requests)
                .where(resync_requests.c.id.in_(ids), resync_requests.c.status == "queued")
                .values(status="running", started_at=tx.clock())
            )
        return [_of(r) for r in rows]

    def finish(self, ids: Sequence[int], *, ok: bool, message: str) -> None:
        if not ids:
            return
        with self.store.write() as tx:
            tx.conn.execute(
                update(resync_requests)
                .where(resync_requests.c.id.in_(list(ids)))
                .values(status="done" if ok else "failed", finished_at=tx.clock(), message=message)
            )

    def latest(self, limit: int = 10) -> list[ResyncRequest]:
        """The newest requests first."""
        with self.store.read() as tx:
            query = select(resync_requests).order_by(resync_requests.c.id.desc()).limit(limit)
            return [_of(r) for r in tx.conn.execute(query)]

    def get(self, request_id: int) -> ResyncRequest | None:
        with self.store.read() as tx:
            row = tx.conn.execute(select(resync_requests).where(resync_requests.c.id == request_id)).first()
            return None if row is None else _of(row)
