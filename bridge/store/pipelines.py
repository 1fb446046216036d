"""Pipeline rows: the definition is one JSON document (``codec``); password parameter defaults in it
are sealed with the store's secret box, and registered with the log redactor as they are opened."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from bridge.domain.model import Pipeline
from bridge.errors import NotFound
from bridge.log import SECRETS
from bridge.store.codec import pipeline_from, pipeline_spec
from bridge.store.crypto import SecretBox
from bridge.store.records import Stored, meta_of, optional_sync, sync_columns, with_sync
from bridge.store.tables import pipelines
from bridge.store.validations import join_on, joined_columns, joined_validation

Clock = Callable[[], datetime]


class PipelineRepo:
    def __init__(self, conn: Connection, clock: Clock, box: SecretBox) -> None:
        self.conn, self.clock, self.box = conn, clock, box

    def get(self, project: str, name: str) -> Stored[Pipeline] | None:
        query = _select().where(pipelines.c.project == project, pipelines.c.name == name)
        row = self.conn.execute(query).first()
        return None if row is None else self._pipeline(row)

    def list(self, project: str) -> list[Stored[Pipeline]]:
        query = _select().where(pipelines.c.project == project).order_by(pipelines.c.name)
        return [self._pipeline(r) for r in self.conn.execute(query)]

    def insert(self, p: Pipeline) -> None:
        now = self.clock()
        values = self._values(p) | {"created_at": now, "updated_at": now, "version": 1}
        self.conn.execute(insert(pipelines).values(**values))

    def update(self, p: Pipeline) -> None:
        values = self._values(p) | {"updated_at": self.clock(), "version": pipelines.c.version + 1}
        where = (pipelines.c.project == p.project, pipelines.c.name == p.name)
        if self.conn.execute(update(pipelines).where(*where).values(**values)).rowcount != 1:
            raise NotFound(f"pipeline {p.name!r} does not exist in project {p.project!r}")

    def delete(self, project: str, name: str) -> bool:
        where = (pipelines.c.project == project, pipelines.c.name == name)
        return self.conn.execute(delete(pipelines).where(*where)).rowcount == 1

    def _values(self, p: Pipeline) -> dict[str, object]:
        spec = pipeline_spec(p, seal=self.box.seal_text)
        return {"project": p.project, "name": p.name, "description": p.description, "spec": spec}

    def _unseal(self, token: str) -> str:
        value = self.box.open_text(token)
        SECRETS.add(value)
        return value

    def _pipeline(self, row: Any) -> Stored[Pipeline]:
        obj = pipeline_from(row.project, row.name, row.description, row.spec, unseal=self._unseal)
        validation = joined_validation(row, obj)
        return Stored(obj=obj, meta=meta_of(row), sync=optional_sync(row), validation=validation)


def _select() -> Any:
    joined = join_on(with_sync(pipelines, "pipeline", pipelines.c.project, pipelines.c.name))
    return select(pipelines, *sync_columns(), *joined_columns()).select_from(joined)
