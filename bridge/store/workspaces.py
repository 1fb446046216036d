"""Workspaces and projects: the catalogue rows with no secret material."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, literal, select, update

from bridge.domain.model import Project, Workspace
from bridge.errors import NotFound
from bridge.log import SECRETS
from bridge.store.records import NotificationView, Stored, meta_of, optional_sync, sync_columns, with_sync
from bridge.store.tables import project_notifications, projects, workspaces

Clock = Callable[[], datetime]


#: Kinds of redaction owners that belong to a project (``bridge.store.credentials``/``pipelines``).
OWNED = (("credential",), ("pipeline",))


#: Statements built once, values as parameters (SQLAlchemy then reuses their compiled form as is).
_WORKSPACE = select(workspaces).where(workspaces.c.name == bindparam("name"))
_INSERT_WORKSPACE = insert(workspaces)


class WorkspaceRepo:
    def __init__(self, conn: Connection, clock: Clock) -> None:
        self.conn, self.clock = conn, clock

    def get(self, name: str) -> Stored[Workspace] | None:
        row = self.conn.execute(_WORKSPACE, {"name": name}).first()
        return None if row is None else _workspace(row)

    def list(self, *, after: str | None = None, limit: int | None = None) -> list[Stored[Workspace]]:
        """By name; a page of ``limit`` after the name ``after`` when given."""
        query = select(workspaces).order_by(workspaces.c.name).limit(limit)
        if after is not None:
            query = query.where(workspaces.c.name > after)
        return [_workspace(r) for r in self.conn.execute(query)]

    def insert(self, ws: Workspace) -> None:
        now = self.clock()
        values = _workspace_values(ws) | {"created_at": now, "updated_at": now, "version": 1}
        self.conn.execute(_INSERT_WORKSPACE, values)

    def update(self, ws: Workspace) -> None:
        values = _workspace_values(ws) | {"updated_at": self.clock(), "version": workspaces.c.version + 1}
        done = self.conn.execute(update(workspaces).where(workspaces.c.name == ws.name).values(**values))
        if done.rowcount != 1:
            raise NotFound(f"workspace {ws.name!r} does not exist")

    def delete(self, name: str) -> bool:
        return self.conn.execute(delete(workspaces).where(workspaces.c.name == name)).rowcount == 1


#: Asked by every write in a project: built once, the name as a parameter.
_PROJECT_EXISTS = select(projects.c.name).where(projects.c.name == bindparam("name"))
_INSERT_PROJECT = insert(projects)


class ProjectRepo:
    def __init__(self, conn: Connection, clock: Clock) -> None:
        self.conn, self.clock = conn, clock

    def exists(self, name: str) -> bool:
        return self.conn.execute(_PROJECT_EXISTS, {"name": name}).first() is not None

    def get(self, name: str) -> Stored[Project] | None:
        row = self.conn.execute(_one_project(), {"name": name}).first()
        return None if row is None else _project(row)

    def list(
        self, *, workspace: str | None = None, after: str | None = None, limit: int | None = None
    ) -> list[Stored[Project]]:
        """By name; a page of ``limit`` after the name ``after`` when given."""
        query = _select_projects().order_by(projects.c.name).limit(limit)
        if workspace is not None:
            query = query.where(projects.c.workspace == workspace)
        if after is not None:
            query = query.where(projects.c.name > after)
        return [_project(r) for r in self.conn.execute(query)]

    def placed(self) -> dict[str, int]:
        """The number of projects placed on each cluster (``ix_projects_cluster``)."""
        query = select(projects.c.cluster, func.count()).where(projects.c.cluster.is_not(None))
        return {c: int(n) for c, n in self.conn.execute(query.group_by(projects.c.cluster))}

    def count_in(self, workspace: str) -> int:
        query = select(func.count()).select_from(projects).where(projects.c.workspace == workspace)
        return int(self.conn.execute(query).scalar_one())

    def insert(self, p: Project) -> None:
        now = self.clock()
        values = _project_values(p) | {"created_at": now, "updated_at": now, "version": 1}
        self.conn.execute(_INSERT_PROJECT, values)

    def update(self, p: Project) -> None:
        values = _project_values(p) | {"updated_at": self.clock(), "version": projects.c.version + 1}
        done = self.conn.execute(update(projects).where(projects.c.name == p.name).values(**values))
        if done.rowcount != 1:
            raise NotFound(f"project {p.name!r} does not exist")

    def delete(self, name: str) -> bool:
        """Deletes the project row; its credentials and pipelines go with it (ON DELETE CASCADE), and
        their values leave the log redactor."""
        deleted = self.conn.execute(delete(projects).where(projects.c.name == name)).rowcount == 1
        SECRETS.discard_where(lambda o: isinstance(o, tuple) and o[:1] in OWNED and o[1:2] == (name,))
        return deleted


@cache
def _one_project() -> Any:
    return _select_projects().where(projects.c.name == bindparam("name"))


def _select_projects() -> Any:
    """Projects with their sync state and their notification webhook (never its secret), in one query."""
    n = project_notifications.c
    joined = with_sync(projects, "project", projects.c.name, literal("")).outerjoin(
        project_notifications, n.project == projects.c.name
    )
    signed = n.sealed_secret.is_not(None).label("notify_signed")
    return select(projects, *sync_columns(), n.url.label("notify_url"), signed).select_from(joined)


def _workspace_values(ws: Workspace) -> dict[str, object]:
    return {"name": ws.name, "description": ws.description, "clusters": list(ws.clusters)}


def _workspace(row: Any) -> Stored[Workspace]:
    obj = Workspace(name=row.name, description=row.description, clusters=tuple(row.clusters))
    return Stored(obj=obj, meta=meta_of(row))


def _project_values(p: Project) -> dict[str, object]:
    return {"name": p.name, "workspace": p.workspace, "cluster": p.cluster, "description": p.description}


def _project(row: Any) -> Stored[Project]:
    obj = Project(name=row.name, workspace=row.workspace, cluster=row.cluster, description=row.description)
    hook = None if row.notify_url is None else NotificationView(row.notify_url, bool(row.notify_signed))
    return Stored(obj=obj, meta=meta_of(row), sync=optional_sync(row), notification=hook)
