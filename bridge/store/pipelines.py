"""Pipeline rows: the definition is one JSON document (``codec``); password parameter defaults in it
are sealed with the store's secret box, and registered with the log redactor (keyed by the pipeline,
replaced on every write, dropped on delete) as they are written or opened."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from bridge.domain.model import ParameterType, Pipeline
from bridge.errors import NotFound
from bridge.log import SECRETS
from bridge.store.codec import pipeline_from, pipeline_spec
from bridge.store.crypto import SecretBox
from bridge.store.records import Stored, meta_of, optional_sync, sync_columns, with_sync
from bridge.store.tables import pipelines, webhook_triggers
from bridge.store.validations import join_on, joined_columns, joined_validation
from bridge.webhooks.urls import repo_key

Clock = Callable[[], datetime]
# Statements of every write, built once (values as parameters: SQLAlchemy's compiled cache is hit
# without building and walking a new statement each time).
_INSERT = insert(pipelines)
_ONE = (pipelines.c.project == bindparam("p"), pipelines.c.name == bindparam("n"))
_EXISTS = select(pipelines.c.name).where(*_ONE)
_UNINDEX_TRIGGER = delete(webhook_triggers).where(
    webhook_triggers.c.project == bindparam("p"), webhook_triggers.c.pipeline == bindparam("n")
)
_INDEX_TRIGGER = insert(webhook_triggers)


class TriggerGeneration:
    """Bumped on every change of this process's push-trigger index (the receiver's cache key)."""

    def __init__(self) -> None:
        self.generation = 0

    def bump(self) -> None:
        self.generation += 1


TRIGGERS = TriggerGeneration()


class PipelineRepo:
    def __init__(self, conn: Connection, clock: Clock, box: SecretBox) -> None:
        self.conn, self.clock, self.box = conn, clock, box

    def exists(self, project: str, name: str) -> bool:
        return self.conn.execute(_EXISTS, {"p": project, "n": name}).first() is not None

    def get(self, project: str, name: str) -> Stored[Pipeline] | None:
        row = self.conn.execute(_get(), {"p": project, "n": name}).first()
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
        self.conn.execute(_INSERT, values)  # one statement, values as parameters: compiled once
        self._index_trigger(p, fresh=True)
        _register(p)

    def update(self, p: Pipeline) -> None:
        values = self._values(p) | {"updated_at": self.clock(), "version": pipelines.c.version + 1}
        where = (pipelines.c.project == p.project, pipelines.c.name == p.name)
        if self.conn.execute(update(pipelines).where(*where).values(**values)).rowcount != 1:
            raise NotFound(f"pipeline {p.name!r} does not exist in project {p.project!r}")
        self._index_trigger(p)
        _register(p)  # a changed or cleared default is no longer a secret of this pipeline

    def delete(self, project: str, name: str) -> bool:
        TRIGGERS.bump()
        self.conn.execute(_UNINDEX_TRIGGER, {"p": project, "n": name})
        where = (pipelines.c.project == project, pipelines.c.name == name)
        deleted = self.conn.execute(delete(pipelines).where(*where)).rowcount == 1
        SECRETS.discard(_owner(project, name))
        return deleted

    def _index_trigger(self, p: Pipeline, *, fresh: bool = False) -> None:
        """The pipeline's row in the push-trigger index (none without a webhook or a repository);
        ``fresh``: the pipeline was just inserted, so it has no row to replace."""
        key = repo_key(p.webhook_repo or "")
        if fresh and not key:
            return
        TRIGGERS.bump()
        if not fresh:
            self.conn.execute(_UNINDEX_TRIGGER, {"p": p.project, "n": p.name})
        if key:
            self.conn.execute(_INDEX_TRIGGER, {"project": p.project, "pipeline": p.name, "repo_key": key})

    def triggered_by(self, keys: Sequence[str]) -> Sequence[Pipeline]:
        """Pipelines whose push trigger watches one of the repositories ``keys``: one query through the
        ``repo_key`` index (no sync state or validation joined: the receiver needs the trigger only)."""
        if not keys:
            return []
        t, p = webhook_triggers, pipelines
        query = (
            select(p.c.project, p.c.name, p.c.description, p.c.spec)
            .select_from(t.join(p, (p.c.project == t.c.project) & (p.c.name == t.c.pipeline)))
            .where(t.c.repo_key.in_(keys))
            .order_by(p.c.project, p.c.name)
        )
        rows = self.conn.execute(query).all()
        return [
            pipeline_from(r.project, r.name, r.description, r.spec, unseal=self.box.open_text) for r in rows
        ]

    def with_triggers(self) -> Sequence[Pipeline]:
        """Every pipeline that has a push trigger (the worker's ref poll; not a request path)."""
        t, p = webhook_triggers, pipelines
        query = (
            select(p.c.project, p.c.name, p.c.description, p.c.spec)
            .select_from(t.join(p, (p.c.project == t.c.project) & (p.c.name == t.c.pipeline)))
            .order_by(p.c.project, p.c.name)
        )
        rows = self.conn.execute(query).all()
        return [
            pipeline_from(r.project, r.name, r.description, r.spec, unseal=self.box.open_text) for r in rows
        ]

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
    defaults = [
        x.default for x in p.parameters if x.type is ParameterType.PASSWORD and isinstance(x.default, str)
    ]
    if p.webhook is not None and p.webhook.secret:
        defaults.append(p.webhook.secret)
    SECRETS.replace(_owner(p.project, p.name), defaults)


@cache
def _get() -> Any:
    return _select().where(*_ONE)


@cache
def _select() -> Any:
    joined = join_on(with_sync(pipelines, "pipeline", pipelines.c.project, pipelines.c.name))
    return select(pipelines, *sync_columns(), *joined_columns()).select_from(joined)
