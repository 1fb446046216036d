"""Role bindings: who holds which role on which project or workspace.

A binding names a user or a group. One row per (scope, subject); granting again changes the role.
Bindings of a deleted project or workspace are removed with it (``forget_scope``), so a later project
of the same name does not inherit its members.

Bindings are also desired state in Jenkins: each project folder grants its members (``tenancy.py``).
A grant or revoke therefore marks the affected projects dirty in the same transaction (the project, or
every project of the workspace), so the next poll re-renders exactly those folders. Names reserved in
Jenkins (``ReservedNames``) are refused as subjects.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, or_, select, update

from bridge.domain.model import SyncState
from bridge.errors import NotFound
from bridge.identity.names import check_subject
from bridge.identity.principal import Principal
from bridge.identity.roles import Role
from bridge.identity.tables import role_bindings
from bridge.identity.tenancy import BUILT_IN_ONLY, ReservedNames
from bridge.identity.token_store import Clock, utcnow
from bridge.reconcile.ports import Kind, Ref
from bridge.store.bookkeeping import DirtyRepo, SyncRepo
from bridge.store.engine import write_transaction
from bridge.store.records import utc as as_utc
from bridge.store.tables import projects, workspaces


class Scope(enum.StrEnum):
    PROJECT = "project"
    WORKSPACE = "workspace"


class SubjectKind(enum.StrEnum):
    USER = "user"
    GROUP = "group"


@dataclass(frozen=True)
class Binding:
    scope: Scope
    scope_name: str
    subject_kind: SubjectKind
    subject: str
    role: Role
    created_at: datetime
    created_by: str
    #: For a project binding read with ``for_principal``: the project's workspace (joined, so the
    #: policy needs no query per bound project).
    project_workspace: str | None = None


def _binding(row: Any) -> Binding:
    return Binding(
        scope=Scope(row.scope),
        scope_name=row.scope_name,
        subject_kind=SubjectKind(row.subject_kind),
        subject=row.subject,
        role=Role.parse(row.role),
        created_at=as_utc(row.created_at) or utcnow(),
        created_by=row.created_by,
        project_workspace=getattr(row, "project_workspace", None),
    )


def forget_scope_in(conn: Connection, scope: Scope, scope_name: str) -> int:
    """Remove every binding of a deleted project or workspace, inside the deleting transaction."""
    where = and_(role_bindings.c.scope == scope.value, role_bindings.c.scope_name == scope_name)
    return conn.execute(delete(role_bindings).where(where)).rowcount


def _lock_scope(conn: Connection, scope: Scope, scope_name: str) -> None:
    """Inside a grant's transaction: the project or workspace must exist, and stays until we commit.

    ``FOR SHARE`` on PostgreSQL makes a concurrent delete wait for the grant (then ``forget_scope_in``
    in the deleting transaction removes the new binding too) or the grant wait for the delete (then
    the row is gone: 404). SQLite's ``BEGIN IMMEDIATE`` already serialises the two writers.
    """
    table = projects if scope is Scope.PROJECT else workspaces
    row = conn.execute(
        select(table.c.name).where(table.c.name == scope_name).with_for_update(read=True)
    ).first()
    if row is None:
        raise NotFound(f"{scope.value} {scope_name!r} not found")


def touch_projects_in(conn: Connection, scope: Scope, scope_name: str, clock: Clock) -> None:
    """The members of these projects changed: show their folders pending and queue them."""
    if scope is Scope.PROJECT:
        names = [scope_name]
    else:
        names = list(
            conn.execute(select(projects.c.name).where(projects.c.workspace == scope_name)).scalars()
        )
    sync, dirty = SyncRepo(conn, clock), DirtyRepo(conn, clock)
    for name in names:
        key = Ref(Kind.PROJECT, name)
        sync.set(key, SyncState())
        dirty.add(key)


class BindingStore:
    def __init__(
        self, engine: Engine, *, clock: Clock = utcnow, reserved: ReservedNames = BUILT_IN_ONLY
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._reserved = reserved

    def of_scope(
        self,
        scope: Scope,
        scope_name: str,
        *,
        after: tuple[str, str] | None = None,
        limit: int | None = None,
    ) -> list[Binding]:
        """By subject kind, then subject; a page of ``limit`` after ``after`` (kind, subject) when given."""
        c = role_bindings.c
        query = (
            select(role_bindings)
            .where(c.scope == scope.value, c.scope_name == scope_name)
            .order_by(c.subject_kind, c.subject)
            .limit(limit)
        )
        if after is not None:
            kind, subject = after
            query = query.where(or_(c.subject_kind > kind, and_(c.subject_kind == kind, c.subject > subject)))
        with self._engine.connect() as conn:
            return [_binding(row) for row in conn.execute(query)]

    def for_principal(self, principal: Principal) -> list[Binding]:
        """Every binding naming the principal or one of its groups, each project binding with its
        project's workspace: one query (bindings left-joined to projects) for the whole policy."""
        match = or_(
            and_(
                role_bindings.c.subject_kind == SubjectKind.USER.value,
                role_bindings.c.subject == principal.name,
            ),
            and_(
                role_bindings.c.subject_kind == SubjectKind.GROUP.value,
                role_bindings.c.subject.in_(sorted(principal.groups)),
            ),
        )
        home = and_(
            role_bindings.c.scope == Scope.PROJECT.value, projects.c.name == role_bindings.c.scope_name
        )
        query = (
            select(role_bindings, projects.c.workspace.label("project_workspace"))
            .select_from(role_bindings.outerjoin(projects, home))
            .where(match)
        )
        with self._engine.connect() as conn:
            return [_binding(row) for row in conn.execute(query)]

    def grant(
        self, *, scope: Scope, scope_name: str, kind: SubjectKind, subject: str, role: Role, by: str
    ) -> tuple[Binding, bool]:
        """Create or change a binding; the flag says whether it was created.

        The project or workspace is checked in the same transaction (``NotFound`` when missing), so a
        delete cannot slip between the check and the insert and leave a binding that a later project
        of the same name would inherit.
        """
        check_subject(subject, what=kind.value)
        self._reserved.check_subject(subject, what=kind.value)
        key = self._key(scope, scope_name, kind, subject)
        with write_transaction(self._engine) as conn:
            _lock_scope(conn, scope, scope_name)
            before = conn.execute(select(role_bindings.c.role).where(key)).scalar()
            if before != role.label:
                touch_projects_in(conn, scope, scope_name, self._clock)
            changed = conn.execute(update(role_bindings).where(key).values(role=role.label)).rowcount
            if not changed:
                conn.execute(
                    role_bindings.insert().values(
                        scope=scope.value,
                        scope_name=scope_name,
                        subject_kind=kind.value,
                        subject=subject,
                        role=role.label,
                        created_at=self._clock(),
                        created_by=by,
                    )
                )
            row = conn.execute(select(role_bindings).where(key)).one()
        return _binding(row), not changed

    def revoke(self, *, scope: Scope, scope_name: str, kind: SubjectKind, subject: str) -> None:
        with write_transaction(self._engine) as conn:
            gone = conn.execute(
                delete(role_bindings).where(self._key(scope, scope_name, kind, subject))
            ).rowcount
            if not gone:  # raised inside: nothing commits, so no success entry either
                raise NotFound(f"{kind.value} {subject!r} holds no role on {scope.value} {scope_name!r}")
            touch_projects_in(conn, scope, scope_name, self._clock)

    def forget_scope(self, scope: Scope, scope_name: str) -> int:
        with write_transaction(self._engine) as conn:
            return forget_scope_in(conn, scope, scope_name)

    @staticmethod
    def _key(scope: Scope, scope_name: str, kind: SubjectKind, subject: str) -> Any:
        return and_(
            role_bindings.c.scope == scope.value,
            role_bindings.c.scope_name == scope_name,
            role_bindings.c.subject_kind == kind.value,
            role_bindings.c.subject == subject,
        )
