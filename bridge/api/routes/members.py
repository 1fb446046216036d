"""/api/v1/projects/<project>/members, /api/v1/workspaces/<workspace>/members, /api/v1/whoami

Members are role bindings: a user or group holding viewer, operator or admin on a project or on a
workspace (then on all its projects). Granting again changes the role. Access to these routes is
checked by the registry like every other; the views only add "the project must exist", which the
access check does not prove for platform admins. A grant checks that inside its own write transaction
(``BindingStore.grant``), so a concurrent delete cannot leave a binding behind.
"""

from __future__ import annotations

from bridge.api.access import current_grants
from bridge.api.paging import Key, Pager, list_id
from bridge.api.registry import Call, Registry
from bridge.api.schemas.common import PageQuery
from bridge.api.schemas.members import MemberIn, MemberList, MemberOut, WhoAmI
from bridge.errors import NotFound
from bridge.identity.bindings import Binding, Scope, SubjectKind
from bridge.identity.roles import Role

routes = Registry()
PROJECT = "/api/v1/projects/<project>/members"
WORKSPACE = "/api/v1/workspaces/<workspace>/members"
SUBJECT = "/<any(user,group):kind>/<subject>"


def _project_exists(call: Call, project: str) -> None:
    if call.container.identity.workspace_of(project) is None:
        raise NotFound(f"project {project!r} not found")


def _workspace_exists(call: Call, workspace: str) -> None:
    call.container.workspaces.get(workspace)  # NotFound when missing


def _grant(call: Call, scope: Scope, name: str) -> MemberOut:
    body = call.body_as(MemberIn)
    binding, _ = call.container.identity.bindings.grant(
        scope=scope,
        scope_name=name,
        kind=SubjectKind(body.kind),
        subject=body.subject,
        role=Role.parse(body.role),
        by=call.principal.name,
    )
    return MemberOut.of(binding)


def _list(call: Call, scope: Scope, name: str) -> MemberList:
    pager = Pager.of(call.query_as(PageQuery), list_id("members", scope.value, name), (str, str))

    def fetch(after: Key | None, n: int) -> list[Binding]:
        position = None if after is None else (str(after[0]), str(after[1]))
        return call.container.identity.bindings.of_scope(scope, name, after=position, limit=n)

    found, token = pager.page(fetch, key=lambda b: (b.subject_kind.value, b.subject))
    return MemberList(items=[MemberOut.of(b) for b in found], continue_=token)


@routes.route(
    "GET",
    PROJECT,
    permission="members.read",
    tag="members",
    summary="List a project's members",
    query=PageQuery,
    response=MemberList,
    errors=(404,),
)
def list_project_members(call: Call, project: str) -> MemberList:
    _project_exists(call, project)
    return _list(call, Scope.PROJECT, project)


@routes.route(
    "POST",
    PROJECT,
    permission="members.write",
    tag="members",
    summary="Grant a role on a project to a user or group (or change it)",
    request=MemberIn,
    response=MemberOut,
    errors=(404,),
)
def grant_project_member(call: Call, project: str) -> MemberOut:
    return _grant(call, Scope.PROJECT, project)


@routes.route(
    "DELETE",
    PROJECT + SUBJECT,
    permission="members.write",
    tag="members",
    summary="Remove a user's or group's role on a project",
    status=204,
    errors=(404,),
)
def revoke_project_member(call: Call, project: str, kind: str, subject: str) -> None:
    _project_exists(call, project)
    call.container.identity.bindings.revoke(
        scope=Scope.PROJECT, scope_name=project, kind=SubjectKind(kind), subject=subject
    )


@routes.route(
    "GET",
    WORKSPACE,
    permission="workspace.members.read",
    tag="members",
    summary="List a workspace's members",
    query=PageQuery,
    response=MemberList,
    errors=(404,),
)
def list_workspace_members(call: Call, workspace: str) -> MemberList:
    _workspace_exists(call, workspace)
    return _list(call, Scope.WORKSPACE, workspace)


@routes.route(
    "POST",
    WORKSPACE,
    permission="workspace.members.write",
    tag="members",
    summary="Grant a role on a workspace (it holds on every project of the workspace)",
    request=MemberIn,
    response=MemberOut,
    errors=(404,),
)
def grant_workspace_member(call: Call, workspace: str) -> MemberOut:
    return _grant(call, Scope.WORKSPACE, workspace)


@routes.route(
    "DELETE",
    WORKSPACE + SUBJECT,
    permission="workspace.members.write",
    tag="members",
    summary="Remove a user's or group's role on a workspace",
    status=204,
    errors=(404,),
)
def revoke_workspace_member(call: Call, workspace: str, kind: str, subject: str) -> None:
    _workspace_exists(call, workspace)
    call.container.identity.bindings.revoke(
        scope=Scope.WORKSPACE, scope_name=workspace, kind=SubjectKind(kind), subject=subject
    )


@routes.route(
    "GET",
    "/api/v1/whoami",
    permission="authenticated",
    tag="members",
    summary="Who the caller is and which roles they hold",
    response=WhoAmI,
)
def whoami(call: Call) -> WhoAmI:
    return WhoAmI.of(current_grants())
