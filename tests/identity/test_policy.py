"""Roles and the policy: viewer cannot run, operator cannot edit credentials, A cannot see B."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bridge.errors import Forbidden, NotFound
from bridge.identity.attribution import REQUESTED_BY_PARAMETER, Actor
from bridge.identity.bindings import BindingStore, Scope, SubjectKind
from bridge.identity.policy import Policy
from bridge.identity.principal import PLATFORM_ADMINS_GROUP, AuthSource, Principal
from bridge.identity.roles import RULES, Role, RuleScope
from bridge.store.tables import projects, workspaces

WORKSPACES = {"proj-a": "ws-a", "proj-b": "ws-b", "proj-a2": "ws-a"}


def workspace_of(project: str) -> str | None:
    return WORKSPACES.get(project)


def seed_scopes(engine) -> None:
    """Grants need their project or workspace to exist (checked in the grant's transaction)."""
    stamps = {"created_at": datetime(2026, 1, 1, tzinfo=UTC), "version": 1}
    stamps["updated_at"] = stamps["created_at"]
    with engine.begin() as conn:
        for ws in sorted(set(WORKSPACES.values())):
            conn.execute(workspaces.insert().values(name=ws, description="", clusters=[], **stamps))
        for project, ws in WORKSPACES.items():
            conn.execute(projects.insert().values(name=project, workspace=ws, description="", **stamps))


@pytest.fixture
def bindings(engine, clock) -> BindingStore:
    seed_scopes(engine)
    store = BindingStore(engine, clock=clock)
    grants = [
        (Scope.PROJECT, "proj-a", SubjectKind.USER, "vera", Role.VIEWER),
        (Scope.PROJECT, "proj-a", SubjectKind.USER, "otto", Role.OPERATOR),
        (Scope.PROJECT, "proj-a", SubjectKind.GROUP, "team-a", Role.ADMIN),
        (Scope.WORKSPACE, "ws-b", SubjectKind.USER, "wanda", Role.ADMIN),
    ]
    for scope, name, kind, subject, role in grants:
        store.grant(scope=scope, scope_name=name, kind=kind, subject=subject, role=role, by="test")
    return store


@pytest.fixture
def policy(bindings) -> Policy:
    return Policy(bindings, admin_users=["root"])


def check(policy: Policy, who: Principal, permission: str, project: str) -> None:
    policy.grants(who).check(permission, project=project, workspace_of=workspace_of)


def user(name: str, *groups: str) -> Principal:
    return Principal(name, frozenset(groups))


def test_viewer_reads_but_cannot_run(policy) -> None:
    vera = user("vera")
    for permission in ("project.read", "pipeline.read", "credential.read", "run.read", "members.read"):
        check(policy, vera, permission, "proj-a")
    for permission in ("run.trigger", "run.stop", "input.submit", "pipeline.write"):
        with pytest.raises(Forbidden):
            check(policy, vera, permission, "proj-a")


def test_operator_runs_but_cannot_edit_credentials(policy) -> None:
    otto = user("otto")
    for permission in ("run.trigger", "run.stop", "input.submit"):
        check(policy, otto, permission, "proj-a")
    for permission in ("credential.write", "pipeline.write", "members.write", "project.audit"):
        with pytest.raises(Forbidden):
            check(policy, otto, permission, "proj-a")


def test_group_admin_manages_the_project(policy) -> None:
    for permission in ("credential.write", "members.write", "project.audit", "project.delete"):
        check(policy, user("gina", "team-a"), permission, "proj-a")


def test_user_of_project_a_cannot_see_project_b(policy) -> None:
    with pytest.raises(NotFound):
        check(policy, user("otto"), "project.read", "proj-b")
    with pytest.raises(NotFound):  # same answer as a project that does not exist
        check(policy, user("otto"), "project.read", "no-such")
    grants = policy.grants(user("otto"))
    assert grants.visible_projects(WORKSPACES.items()) == {"proj-a"}


def test_workspace_admin_holds_admin_on_its_projects_only(policy) -> None:
    wanda = user("wanda")
    check(policy, wanda, "credential.write", "proj-b")
    with pytest.raises(NotFound):
        check(policy, wanda, "project.read", "proj-a")
    grants = policy.grants(wanda)
    grants.check("project.create", workspace="ws-b", workspace_in_path=False)
    with pytest.raises(Forbidden):
        grants.check("project.create", workspace="ws-a", workspace_in_path=False)
    with pytest.raises(NotFound):
        grants.check("workspace.read", workspace="ws-a")


def test_platform_admins_by_user_group_and_bootstrap(policy) -> None:
    for who in (
        user("root"),
        user("x", PLATFORM_ADMINS_GROUP),
        Principal("bootstrap-admin", frozenset({PLATFORM_ADMINS_GROUP}), AuthSource.BOOTSTRAP),
    ):
        grants = policy.grants(who)
        assert grants.platform_admin
        grants.check("audit.read")
        grants.check("credential.write", project="proj-b", workspace_of=workspace_of)
    with pytest.raises(Forbidden):
        policy.grants(user("gina", "team-a")).check("audit.read")


def test_unknown_permission_is_refused(policy) -> None:
    with pytest.raises(Forbidden):
        policy.grants(user("vera")).check("made.up", project="proj-a", workspace_of=workspace_of)


def test_every_rule_is_well_formed() -> None:
    for name, rule in RULES.items():
        scoped = rule.scope in (RuleScope.PROJECT, RuleScope.WORKSPACE)
        assert scoped == (rule.role is not None), name


def test_regrant_changes_the_role_and_revoke_removes_it(bindings, policy) -> None:
    _, created = bindings.grant(
        scope=Scope.PROJECT,
        scope_name="proj-a",
        kind=SubjectKind.USER,
        subject="vera",
        role=Role.ADMIN,
        by="t",
    )
    assert not created
    check(policy, user("vera"), "credential.write", "proj-a")
    bindings.revoke(scope=Scope.PROJECT, scope_name="proj-a", kind=SubjectKind.USER, subject="vera")
    with pytest.raises(NotFound):
        check(policy, user("vera"), "project.read", "proj-a")
    assert bindings.forget_scope(Scope.PROJECT, "proj-a") == 2
    assert bindings.of_scope(Scope.PROJECT, "proj-a") == []


def test_actor_carries_the_user_to_jenkins() -> None:
    actor = Actor.of(Principal("alice", frozenset({"qa"})), request_id="r-1")
    assert actor.run_parameters() == {REQUESTED_BY_PARAMETER: "alice"}
    assert "alice" in actor.approval_note(approved=True, input_id="deploy")
    assert actor.may_submit(None) and actor.may_submit("")
    assert actor.may_submit("bob,Alice") and actor.may_submit("bob, qa")
    assert not actor.may_submit("bob,release-managers")
