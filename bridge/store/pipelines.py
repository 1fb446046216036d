"""Pipeline rows: the definition is one JSON document (``codec``); password parameter defaults in it
are sealed with the store's secret box, and registered with the log redactor (keyed by the pipeline,
replaced on every write, dropped on delete) as they are written or opened."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from bridge.domain.model import ParameterType, Pipeline
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

    def exists(self, project: str, name: str) -> bool:
        query = select(pipelines.c.name).where(pipelines.c.project == project, pipelines.c.name == name)
        return self.conn.execute(query).first() is not None

    def get(self, project: str, name: str) -> Stored[Pipeline] | None:
        query = _select().where(pipelines.c.project == project, pipelines.c.name == name)
        row = self.conn.execute(query).first()
        return None if row is None else self._pipeline(row)

    def list(
        self, project: str, *, after: str | None = None, limit: int | None = None
    ) -> list[Stored[Pipeline]]:
        """By name; a page of ``limit`` after the name ``after`` when given."""
        query = _select().where(pipelines.c.project == project).order_by(pipelines.c.name).limit(limit)
        if after is not None:
            query = query.where(pipelines.c.name > after)
        return [self._pipeline(r) for r in self.conn.execute(query)]

    def insert(self, p: Pipeline) -> None:
        now = self.clock()
        values = self._values(p) | {"created_at": now, "updated_at": now, "version": 1}
        self.conn.execute(insert(pipelines).values(**values))
        _register(p)

    def update(self, p: Pipeline) -> None:
        values = self._values(p) | {"updated_at": self.clock(), "version": pipelines.c.version + 1}
        where = (pipelines.c.project == p.project, pipelines.c.name == p.name)
        if self.conn.execute(update(pipelines).where(*where).values(**values)).rowcount != 1:
            raise NotFound(f"pipeline {p.name!r} does not exist in project {p.project!r}")
        _register(p)  # a changed or cleared default is no longer a secret of this pipeline

    def delete(self, project: str, name: str) -> bool:
        where = (pipelines.c.project == project, pipelines.c.name == name)
        deleted = self.conn.execute(delete(pipelines).where(*where)).rowcount == 1
        SECRETS.discard(_owner(project, name))
        return deleted

    def _values(self, p: Pipeline) -> dict[str, object]:
        spec = pipeline_spec(p, seal=self.box.seal_text)
        return {"project": p.project, "name": p.name, "description": p.description, "spec": spec}

    def _pipeline(self, row: Any) -> Stored[Pipeline]:
        obj = pipeline_from(row.project, row.name, row.description, row.spec, unseal=self.box.open_text)
        _register(obj)
        validation = joined_validation(row, obj)
        return Stored(obj=obj, meta=meta_of(row), sync=optional_sync(row), validation=validation)


def _owner(project: str, name: str) -> tuple[str, str, str]:
    return ("pipeline", project, name)


def _register(p: Pipeline) -> None:
    """The pipeline's password-parameter defaults become its secrets (replacing earlier ones)."""
    defaults = (
        x.default for x in p.parameters if x.type is ParameterType.PASSWORD and isinstance(x.default, str)
    )
    SECRETS.replace(_owner(p.project, p.name), defaults)


def _select() -> Any:
    joined = join_on(with_sync(pipelines, "pipeline", pipelines.c.project, pipelines.c.name))
    return select(pipelines, *sync_columns(), *joined_columns()).select_from(joined)
