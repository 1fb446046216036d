"""Promotion history: per pipeline, target and workload, which run's image was seen running, since when.

One row per stretch: while a workload keeps running the same run's image its ``current`` row's
``last_seen`` moves on; a different run (or image) closes it (``current`` false) and opens a new one.
Written by the promotion worker job; read newest first by the API. Created by Alembic revision
``0016_promotions``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    Text,
    insert,
    select,
    true,
    update,
)

from bridge.domain.workloads import Observation, Promotion
from bridge.store.engine import write_transaction
from bridge.store.records import utc
from bridge.store.tables import LONG_NAME, NAME, metadata

if TYPE_CHECKING:
    from bridge.store.unit import Store

promotions = Table(
    "promotions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project", String(NAME), nullable=False),
    Column("pipeline", String(LONG_NAME), nullable=False),
    Column("cluster", String(NAME), nullable=False),
    Column("namespace", String(NAME), nullable=False),
    Column("workload", String(330), nullable=False),
    Column("run", Integer, nullable=False),
    Column("image", Text, nullable=False),
    Column("since", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("current", Boolean, nullable=False),
    ForeignKeyConstraint(
        ["project", "pipeline"], ["pipelines.project", "pipelines.name"], ondelete="CASCADE"
    ),
    Index("ix_promotions_pipeline", "project", "pipeline", "id"),
)
_P = promotions.c


class PromotionBook:
    def __init__(self, store: Store, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._store, self._clock = store, clock

    def observe(self, project: str, pipeline: str, seen: Sequence[Observation]) -> int:
        """Record what a pass saw (only targets that answered); returns the new stretches opened."""
        now, opened = self._clock(), 0
        with write_transaction(self._store.engine) as conn:
            mine = (_P.project == project, _P.pipeline == pipeline, _P.current == true())
            #: (cluster, namespace, workload) → (id, run, image) of its current stretch
            current = {
                (r.cluster, r.namespace, r.workload): (r.id, r.run, r.image)
                for r in conn.execute(
                    select(_P.id, _P.cluster, _P.namespace, _P.workload, _P.run, _P.image).where(*mine)
                )
            }
            for o in seen:
                key = (o.cluster, o.namespace, o.workload)
                row = current.get(key)
                if row is not None and row[1:] == (o.run, o.image):
                    conn.execute(update(promotions).where(_P.id == row[0]).values(last_seen=now))
                    continue
                if row is not None:
                    conn.execute(update(promotions).where(_P.id == row[0]).values(current=False))
                values = {
                    "project": project,
                    "pipeline": pipeline,
                    "cluster": o.cluster,
                    "namespace": o.namespace,
                    "workload": o.workload,
                    "run": o.run,
                    "image": o.image,
                    "since": now,
                    "last_seen": now,
                    "current": True,
                }
                inserted = conn.execute(insert(promotions).values(**values)).inserted_primary_key
                assert inserted is not None
                current[key] = (inserted[0], o.run, o.image)
                opened += 1
        return opened

    def history(self, project: str, pipeline: str, *, before_id: int | None, limit: int) -> list[Promotion]:
        """Newest first (by id), ids below ``before_id``."""
        query = select(promotions).where(_P.project == project, _P.pipeline == pipeline)
        if before_id is not None:
            query = query.where(_P.id < before_id)
        with self._store.engine.connect() as conn:
            return [_promotion(r) for r in conn.execute(query.order_by(_P.id.desc()).limit(limit))]


def _promotion(row: Any) -> Promotion:
    return Promotion(
        cluster=row.cluster,
        namespace=row.namespace,
        workload=row.workload,
        run=int(row.run),
        image=row.image,
        since=utc(row.since),
        last_seen=utc(row.last_seen),
        id=int(row.id),
    )
