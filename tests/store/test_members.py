"""Members for Jenkins folders, and binding changes queued as dirty projects (SQLite and PostgreSQL)."""

from __future__ import annotations

from bridge.domain.model import Project, Workspace
from bridge.identity.bindings import BindingStore, Scope, SubjectKind
from bridge.identity.roles import Role
from bridge.identity.tenancy import Member
from bridge.reconcile.ports import Kind, Ref
from bridge.services.projects import ProjectService
from bridge.services.workspaces import WorkspaceService
from bridge.store import Store, StoreDesiredState


def _world(store: Store) -> tuple[StoreDesiredState, BindingStore]:
    for ws in ("ws-a", "ws-b"):
        WorkspaceService(store).create(Workspace(name=ws))
    for name, ws in (("a1", "ws-a"), ("a2", "ws-a"), ("b1", "ws-b")):
        ProjectService(store).create(Project(name=name, workspace=ws))
    desired = StoreDesiredState(store)
    desired.take_dirty(100)
    return desired, BindingStore(store.engine)


def test_members_are_the_project_and_workspace_bindings(store: Store) -> None:
    desired, bindings = _world(store)
    grant = bindings.grant
    grant(
        scope=Scope.WORKSPACE,
        scope_name="ws-a",
        kind=SubjectKind.GROUP,
        subject="devs",
        role=Role.VIEWER,
        by="t",
    )
    grant(
        scope=Scope.PROJECT, scope_name="a1", kind=SubjectKind.USER, subject="alice", role=Role.ADMIN, by="t"
    )
    grant(
        scope=Scope.WORKSPACE,
        scope_name="ws-b",
        kind=SubjectKind.USER,
        subject="bob",
        role=Role.OPERATOR,
        by="t",
    )
    assert sorted(desired.members("a1")) == [
        Member(False, "alice", Role.ADMIN),
        Member(True, "devs", Role.VIEWER),
    ]
    assert desired.members("a2") == [Member(True, "devs", Role.VIEWER)]
    assert desired.members("b1") == [Member(False, "bob", Role.OPERATOR)]
    assert desired.members("missing") == []


def test_binding_changes_queue_exactly_the_affected_projects(store: Store) -> None:
    desired, bindings = _world(store)
    key = {name: Ref(Kind.PROJECT, name) for name in ("a1", "a2", "b1")}
    bindings.grant(
        scope=Scope.WORKSPACE,
        scope_name="ws-a",
        kind=SubjectKind.USER,
        subject="eve",
        role=Role.VIEWER,
        by="t",
    )
    assert sorted(desired.take_dirty(100)) == [key["a1"], key["a2"]]
    bindings.grant(
        scope=Scope.WORKSPACE,
        scope_name="ws-a",
        kind=SubjectKind.USER,
        subject="eve",
        role=Role.VIEWER,
        by="t",
    )
    assert desired.take_dirty(100) == []  # nothing changed
    bindings.grant(
        scope=Scope.WORKSPACE,
        scope_name="ws-a",
        kind=SubjectKind.USER,
        subject="eve",
        role=Role.ADMIN,
        by="t",
    )
    assert sorted(desired.take_dirty(100)) == [key["a1"], key["a2"]]
    bindings.grant(
        scope=Scope.PROJECT, scope_name="b1", kind=SubjectKind.GROUP, subject="ops", role=Role.VIEWER, by="t"
    )
    assert desired.take_dirty(100) == [key["b1"]]
    bindings.revoke(scope=Scope.PROJECT, scope_name="b1", kind=SubjectKind.GROUP, subject="ops")
    assert desired.take_dirty(100) == [key["b1"]]
    bindings.revoke(scope=Scope.WORKSPACE, scope_name="ws-a", kind=SubjectKind.USER, subject="eve")
    assert sorted(desired.take_dirty(100)) == [key["a1"], key["a2"]]
