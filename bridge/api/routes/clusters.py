"""/api/v1/clusters: the cluster inventory (read-only; sources are configured in settings).

Platform admins see every cluster. Anyone else sees the clusters their workspaces may use (a
workspace is theirs when they hold a role on it or on one of its projects), and in each cluster only
those workspaces; any other cluster is a 404, like an invisible project. Where a cluster comes from
(object and file names) and the details of its problem are shown to platform admins only.
"""

from __future__ import annotations

from bridge.api.access import current_grants
from bridge.api.paging import Key, Pager, list_id, name_of
from bridge.api.registry import Call, Registry
from bridge.api.schemas.clusters import (
    ClusterList,
    ClusterOut,
    ClusterQuery,
    ProjectClusterList,
    ProjectClusterOut,
)
from bridge.errors import NotFound
from bridge.identity.policy import Grants
from bridge.services.clusters import ClusterView

routes = Registry()
BASE = "/api/v1/clusters"
ITEM = BASE + "/<cluster>"


def _visible(grants: Grants, view: ClusterView) -> bool:
    return grants.platform_admin or any(grants.can_see_workspace(w) for w in view.workspaces)


@routes.route(
    "GET",
    BASE,
    permission="cluster.list",
    tag="clusters",
    summary="List clusters",
    query=ClusterQuery,
    response=ClusterList,
)
def list_clusters(call: Call) -> ClusterList:
    query = call.query_as(ClusterQuery)
    grants = current_grants()
    views = sorted(call.container.clusters.list(), key=lambda v: v.state.record.name)

    def keep(v: ClusterView) -> bool:
        if not _visible(grants, v):
            return False
        ws = query.workspace
        return ws is None or (ws in v.workspaces and grants.can_see_workspace(ws))

    def fetch(after: Key | None, n: int) -> list[ClusterView]:
        start = name_of(after)
        return [v for v in views if start is None or v.state.record.name > start][:n]

    pager = Pager.of(query, list_id("clusters", query.workspace), (str,))
    found, token = pager.page(fetch, key=lambda v: (v.state.record.name,), keep=keep)
    items = [
        ClusterOut.of(v, show_workspace=grants.can_see_workspace, admin=grants.platform_admin) for v in found
    ]
    return ClusterList(items=items, continue_=token)


@routes.route(
    "GET",
    ITEM,
    permission="cluster.read",
    tag="clusters",
    summary="Read a cluster",
    response=ClusterOut,
    errors=(404,),
)
def get_cluster(call: Call, cluster: str) -> ClusterOut:
    grants = current_grants()
    view = call.container.clusters.get(cluster)
    if not _visible(grants, view):
        raise NotFound(f"cluster {cluster!r} does not exist")
    sync = call.container.kubeconfigs
    conflicts = sync.conflicts(cluster) if sync is not None else []
    return ClusterOut.of(
        view,
        show_workspace=grants.can_see_workspace,
        admin=grants.platform_admin,
        conflicts=sorted(grants.visible_projects(conflicts)),
    )


@routes.route(
    "GET",
    "/api/v1/projects/<project>/clusters",
    permission="project.read",
    tag="clusters",
    summary="The clusters whose kubeconfig the project's Jenkins folder holds, with their sync state",
    response=ProjectClusterList,
    errors=(404,),
)
def list_project_clusters(call: Call, project: str) -> ProjectClusterList:
    sync = call.container.kubeconfigs
    items = [ProjectClusterOut.of(i) for i in sync.for_project(project)] if sync is not None else []
    return ProjectClusterList(items=items, total=len(items))
