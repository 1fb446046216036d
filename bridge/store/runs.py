"""The run index (table ``runs``): one row per run, queued runs before Jenkins gives them a number.

Lists read newest first (``id`` descending, the order the bridge learnt of the runs) with a keyset
on ``id``. The worker picks the rows due for a refresh through ``due`` (finished rows have no
``next_refresh_at`` and are never picked again).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from bridge.domain.runs import Run, RunStatus, Trigger, TriggerKind
from bridge.store.records import utc
from bridge.store.tables import runs as table

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class RunFilter:
    status: str | None = None
    branch: str | None = None
    trigger: str | None = None
    user: str | None = None


def _run(row: Any) -> Run:
    detail = dict(row.trigger_detail or {})
    trigger = Trigger.from_dict(detail | {"kind": row.trigger, "user": row.trigger_user})
    return Run(
        id=row.id,
        project=row.project,
        pipeline=row.pipeline,
        number=row.number,
        queue_id=row.queue_id,
        status=RunStatus(row.status),
        result=row.result,
        branch=row.branch,
        trigger=trigger,
        parameters=dict(row.parameters or {}),
        graph=row.graph,
        queued_at=utc(row.queued_at),
        started_at=utc(row.started_at),
        finished_at=utc(row.finished_at),
        duration_ms=row.duration_ms,
        next_refresh_at=utc(row.next_refresh_at),
        unchanged=row.unchanged,
    )


def _values(run: Run) -> dict[str, object]:
    detail = run.trigger.as_dict()
    detail.pop("kind", None)
    detail.pop("user", None)
    return {
        "project": run.project,
        "pipeline": run.pipeline,
        "number": run.number,
        "queue_id": run.queue_id,
        "status": run.status.value,
        "result": run.result,
        "branch": run.branch,
        "trigger": run.trigger.kind.value,
        "trigger_user": run.trigger.user,
        "trigger_detail": detail,
        "parameters": dict(run.parameters),
        "graph": dict(run.graph) if run.graph is not None else None,
        "queued_at": run.queued_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_ms": run.duration_ms,
        "next_refresh_at": run.next_refresh_at,
        "unchanged": run.unchanged,
    }


class RunRepo:
    def __init__(self, conn: Connection, clock: Clock) -> None:
        self.conn, self.clock = conn, clock

    def add(self, run: Run) -> Run:
        values = _values(run) | {"updated_at": self.clock()}
        if values["queued_at"] is None:
            values["queued_at"] = self.clock()
        new_id = self.conn.execute(table.insert().values(**values)).inserted_primary_key
        assert new_id is not None
        return run.with_(id=int(new_id[0]), queued_at=values["queued_at"])

    def save(self, run: Run) -> None:
        assert run.id is not None
        values = _values(run) | {"updated_at": self.clock()}
        self.conn.execute(update(table).where(table.c.id == run.id).values(**values))

    def get(self, project: str, pipeline: str, number: int) -> Run | None:
        query = select(table).where(
            table.c.project == project, table.c.pipeline == pipeline, table.c.number == number
        )
        row = self.conn.execute(query).first()
        return None if row is None else _run(row)

    def by_id(self, run_id: int) -> Run | None:
        row = self.conn.execute(select(table).where(table.c.id == run_id)).first()
        return None if row is None else _run(row)

    def page(
        self, project: str, pipeline: str, flt: RunFilter, *, before_id: int | None, limit: int
    ) -> list[Run]:
        """Newest first, ids below ``before_id``."""
        query = select(table).where(table.c.project == project, table.c.pipeline == pipeline)
        if before_id is not None:
            query = query.where(table.c.id < before_id)
        if flt.status:
            query = query.where(table.c.status == flt.status)
        if flt.branch:
            query = query.where(table.c.branch == flt.branch)
        if flt.trigger:
            query = query.where(table.c.trigger == flt.trigger)
        if flt.user:
            query = query.where(table.c.trigger_user == flt.user)
        rows = self.conn.execute(query.order_by(table.c.id.desc()).limit(limit)).all()
        return [_run(r) for r in rows]

    def history(self, project: str, pipeline: str) -> list[Run]:
        """Every run of a pipeline, newest first (retention)."""
        query = select(table).where(table.c.project == project, table.c.pipeline == pipeline)
        return [_run(r) for r in self.conn.execute(query.order_by(table.c.id.desc())).all()]

    def due(self, now: datetime, limit: int = 100) -> list[Run]:
        """Active runs whose refresh time has come, soonest first."""
        query = (
            select(table)
            .where(table.c.next_refresh_at.is_not(None), table.c.next_refresh_at <= now)
            .order_by(table.c.next_refresh_at, table.c.id)
            .limit(limit)
        )
        return [_run(r) for r in self.conn.execute(query).all()]

    def paused(self, limit: int = 1000) -> list[Run]:
        """Runs the index last saw waiting for input (the approvals job asks Jenkins which inputs)."""
        query = (
            select(table).where(table.c.status == RunStatus.PAUSED.value).order_by(table.c.id).limit(limit)
        )
        return [_run(r) for r in self.conn.execute(query).all()]

    def newest_numbers(self, project: str) -> dict[str, int]:
        """Per pipeline of the project, the highest build number indexed."""
        query = (
            select(table.c.pipeline, func.max(table.c.number))
            .where(table.c.project == project, table.c.number.is_not(None))
            .group_by(table.c.pipeline)
        )
        return {str(p): int(n) for p, n in self.conn.execute(query).all()}

    def unclaimed_replays(self, project: str, pipeline: str, origin: int) -> list[Run]:
        """Replays asked for through the API that Jenkins has not yet shown as a build (oldest first)."""
        query = (
            select(table)
            .where(
                table.c.project == project,
                table.c.pipeline == pipeline,
                table.c.number.is_(None),
                table.c.queue_id.is_(None),
                table.c.trigger == TriggerKind.REPLAY.value,
            )
            .order_by(table.c.id)
        )
        return [
            r for r in (_run(row) for row in self.conn.execute(query).all()) if r.trigger.origin == origin
        ]

    def forget(self, ids: Sequence[int]) -> int:
        if not ids:
            return 0
        return int(self.conn.execute(delete(table).where(table.c.id.in_(list(ids)))).rowcount)

    def projects_with_pipelines(self) -> list[str]:
        query = select(table.c.project).distinct()
        return [str(p) for (p,) in self.conn.execute(query).all()]
