"""Deploy targets' preflight state: one row per (project, pipeline, cluster, namespace) a pipeline declares.

The pipeline's definition (``pipelines.spec``) is the truth of which targets exist; ``declare`` keeps
these rows in step with it in the pipeline write's own transaction, so every declared target has a row
and a removed one has none. A row holds the last preflight result and whether a check is wanted
(``requested``: set on a new or changed target and on a change of its cluster, cleared by the check
that saw the row's current ``revision``). Created by Alembic revision ``0012_deploy_targets``.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    true,
    tuple_,
    update,
)

from bridge.domain.model import Workspace
from bridge.domain.targets import DeployTarget, PreflightState, PreflightStatus
from bridge.store.engine import WRITE
from bridge.store.records import utc
from bridge.store.tables import LONG_NAME, NAME, metadata, projects

if TYPE_CHECKING:
    from bridge.store.unit import Store

Clock = Callable[[], datetime]

deploy_targets = Table(
    "deploy_targets",
    metadata,
    Column("project", String(NAME), primary_key=True),
    Column("pipeline", String(LONG_NAME), primary_key=True),
    Column("cluster", String(NAME), primary_key=True),
    Column("namespace", String(NAME), primary_key=True),
    Column("create_namespace", Boolean, nullable=False),
    #: The ClusterRole a scoped credential binds in this namespace (None: the default); revision 0017.
    Column("cluster_role", String(LONG_NAME), nullable=True),
    Column("status", String(16), nullable=False),
    Column("checked_at", DateTime(timezone=True), nullable=True),
    Column("error", Text, nullable=True),
    Column("namespace_created", Boolean, nullable=False),
    Column("requested", Boolean, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    ForeignKeyConstraint(
        ["project", "pipeline"], ["pipelines.project", "pipelines.name"], ondelete="CASCADE"
    ),
    Index("ix_deploy_targets_cluster", "cluster"),
)
_T = deploy_targets.c


class DeployTargetRepo:
    """The rows of one transaction (``Tx.targets``)."""

    def __init__(self, conn: Connection, clock: Clock) -> None:
        self.conn, self.clock = conn, clock

    def declare(self, project: str, pipeline: str, targets: Sequence[DeployTarget]) -> None:
        """Make the rows match the declared targets: new ones pending, changed ones checked again."""
        now, wanted = self.clock(), {t.key: t for t in targets}
        mine = (_T.project == project, _T.pipeline == pipeline)
        rows = {(r.cluster, r.namespace): r for r in self.conn.execute(select(deploy_targets).where(*mine))}
        for key in rows.keys() - wanted.keys():
            self.conn.execute(
                delete(deploy_targets).where(*mine, _T.cluster == key[0], _T.namespace == key[1])
            )
        for key, t in wanted.items():
            row = rows.get(key)
            if row is None:
                values = {
                    "project": project,
                    "pipeline": pipeline,
                    "cluster": t.cluster,
                    "namespace": t.namespace,
                    "create_namespace": t.create_namespace,
                    "cluster_role": t.cluster_role,
                    "status": PreflightStatus.PENDING.value,
                    "namespace_created": False,
                    "requested": True,
                    "revision": 1,
                    "updated_at": now,
                }
                self.conn.execute(insert(deploy_targets).values(**values))
            elif row.cluster_role != t.cluster_role and row.create_namespace == t.create_namespace:
                where = (*mine, _T.cluster == t.cluster, _T.namespace == t.namespace)
                self.conn.execute(
                    update(deploy_targets).where(*where).values(cluster_role=t.cluster_role, updated_at=now)
                )
            elif row.create_namespace != t.create_namespace:
                where = (*mine, _T.cluster == t.cluster, _T.namespace == t.namespace)
                changed = {
                    "create_namespace": t.create_namespace,
                    "cluster_role": t.cluster_role,
                    "status": PreflightStatus.PENDING.value,
                    "requested": True,
                    "revision": _T.revision + 1,
                    "updated_at": now,
                }
                self.conn.execute(update(deploy_targets).where(*where).values(**changed))

    def list(
        self, project: str, pipeline: str, *, after: tuple[str, str] | None = None, limit: int | None = None
    ) -> list[PreflightState]:
        """By (cluster, namespace); a page of ``limit`` after ``after`` when given."""
        query = select(deploy_targets).where(_T.project == project, _T.pipeline == pipeline)
        if after is not None:
            query = query.where(tuple_(_T.cluster, _T.namespace) > tuple_(*after))
        query = query.order_by(_T.cluster, _T.namespace).limit(limit)
        return [_state(r) for r in self.conn.execute(query)]

    def every(self) -> builtins.list[PreflightState]:
        """Every pipeline's targets, by (project, pipeline, cluster, namespace)."""
        query = select(deploy_targets).order_by(_T.project, _T.pipeline, _T.cluster, _T.namespace)
        return [_state(r) for r in self.conn.execute(query)]

    def request_workspace(self, workspace: str) -> None:
        """Ask for a check of every target of the workspace's projects (its clusters changed)."""
        names = select(projects.c.name).where(projects.c.workspace == workspace)
        self._request(_T.project.in_(names))

    def request_project(self, project: str) -> None:
        """Ask for a check of every target of the project (it moved to another workspace)."""
        self._request(_T.project == project)

    def _request(self, where: Any) -> None:
        values = {"requested": True, "revision": _T.revision + 1, "updated_at": self.clock()}
        self.conn.execute(update(deploy_targets).where(where).values(**values))


class DeployTargetBook:
    """What the preflight worker reads and writes (implements ``bridge.reconcile.preflight.TargetBook``)."""

    def __init__(self, store: Store, *, clock: Clock = lambda: datetime.now(UTC)) -> None:
        self._store, self._clock = store, clock

    def due(self, *, every: bool = False) -> list[tuple[str, PreflightState]]:
        """(workspace, state) of each target to check: the requested ones, or every one."""
        query = select(deploy_targets, projects.c.workspace).join(projects, projects.c.name == _T.project)
        if not every:
            query = query.where(_T.requested == true())
        query = query.order_by(_T.cluster, _T.project, _T.pipeline, _T.namespace)
        with self._store.engine.connect() as conn:
            return [(r.workspace, _state(r)) for r in conn.execute(query)]

    def workspaces(self) -> dict[str, Workspace]:
        with self._store.read() as tx:
            return {w.obj.name: w.obj for w in tx.workspaces.list()}

    def record(self, state: PreflightState, *, created: bool = False) -> None:
        """Store a check's result; a row changed meanwhile (another revision) stays requested."""
        t = state.target
        where = (
            _T.project == state.project,
            _T.pipeline == state.pipeline,
            _T.cluster == t.cluster,
            _T.namespace == t.namespace,
            _T.revision == state.revision,
        )
        values: dict[str, Any] = {
            "status": state.status.value,
            "checked_at": state.checked_at,
            "error": state.error,
            "requested": False,
            "updated_at": self._clock(),
        }
        if created:
            values["namespace_created"] = True
        with self._writing() as conn, conn.begin():
            conn.execute(update(deploy_targets).where(*where).values(**values))

    def request(self, clusters: Collection[str]) -> int:
        """Ask for a check of every target on these clusters (the inventory changed them)."""
        if not clusters:
            return 0
        values = {"requested": True, "revision": _T.revision + 1, "updated_at": self._clock()}
        with self._writing() as conn, conn.begin():
            done = conn.execute(
                update(deploy_targets).where(_T.cluster.in_(sorted(clusters))).values(**values)
            )
            return int(done.rowcount)

    def _writing(self) -> Connection:
        return self._store.engine.connect().execution_options(**{WRITE: True})


def _state(row: Any) -> PreflightState:
    return PreflightState(
        project=row.project,
        pipeline=row.pipeline,
        target=DeployTarget(row.cluster, row.namespace, bool(row.create_namespace), row.cluster_role),
        status=PreflightStatus(row.status),
        checked_at=utc(row.checked_at),
        error=row.error,
        namespace_created=bool(row.namespace_created),
        revision=int(row.revision),
    )
