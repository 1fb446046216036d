"""/api/v1/workspaces"""

from __future__ import annotations

from bridge.api.access import check_also, current_grants
from bridge.api.paging import Pager, list_id, name_of
from bridge.api.registry import Call, Registry
from bridge.api.schemas.common import PageQuery
from bridge.api.schemas.workspaces import WorkspaceIn, WorkspaceList, WorkspaceOut, WorkspacePatch
from bridge.domain.model import Workspace
from bridge.store import Stored

routes = Registry()
BASE = "/api/v1/workspaces"
ITEM = BASE + "/<workspace>"


@routes.route(
    "GET",
    BASE,
    permission="workspace.list",
    tag="workspaces",
    summary="List workspaces",
    query=PageQuery,
    response=WorkspaceList,
)
def list_workspaces(call: Call) -> WorkspaceList:
    grants = current_grants()  # only the workspaces the caller may see
    pager = Pager.of(call.query_as(PageQuery), list_id("workspaces"), (str,))
    found, token = pager.page(
        lambda after, n: call.container.workspaces.list(after=name_of(after), limit=n),
        key=lambda w: (w.obj.name,),
        keep=lambda w: grants.can_see_workspace(w.obj.name),
    )
    available = call.container.clusters.available_for([w.obj for w in found])
    return WorkspaceList(items=[WorkspaceOut.of(w, available[w.obj.name]) for w in found], continue_=token)


@routes.route(
    "POST",
    BASE,
    permission="workspace.create",
    tag="workspaces",
    summary="Create a workspace",
    request=WorkspaceIn,
    response=WorkspaceOut,
    status=201,
    errors=(409,),
)
def create_workspace(call: Call) -> WorkspaceOut:
    return _out(call, call.container.workspaces.create(call.body_as(WorkspaceIn).to_domain()))


@routes.route(
    "GET",
    ITEM,
    permission="workspace.read",
    tag="workspaces",
    summary="Read a workspace",
    response=WorkspaceOut,
    errors=(404,),
)
def get_workspace(call: Call, workspace: str) -> WorkspaceOut:
    return _out(call, call.container.workspaces.get(workspace))


@routes.route(
    "PATCH",
    ITEM,
    permission="workspace.write",
    tag="workspaces",
    summary="Change a workspace (adding clusters needs a platform administrator)",
    request=WorkspacePatch,
    response=WorkspaceOut,
    errors=(404, 409),
)
def patch_workspace(call: Call, workspace: str) -> WorkspaceOut:
    changes = call.body_as(WorkspacePatch).model_dump(exclude_unset=True)
    if "clusters" in changes:
        current = call.container.workspaces.get(workspace).obj.clusters
        if set(changes["clusters"]) - set(current):
            grants = current_grants()
            check_also(grants, "workspace.clusters.add", workspace=workspace, workspace_in_path=True)
    updated = call.container.workspaces.update(workspace, expected_version=call.expected_version, **changes)
    return _out(call, updated)


@routes.route(
    "DELETE",
    ITEM,
    permission="workspace.delete",
    tag="workspaces",
    summary="Delete an empty workspace",
    status=204,
    errors=(404, 409),
)
def delete_workspace(call: Call, workspace: str) -> None:
    call.container.workspaces.delete(workspace, expected_version=call.expected_version)


def _out(call: Call, stored: Stored[Workspace]) -> WorkspaceOut:
    return WorkspaceOut.of(stored, call.container.clusters.available_for([stored.obj])[stored.obj.name])
