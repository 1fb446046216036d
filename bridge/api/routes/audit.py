"""/api/v1/audit (platform admins) and /api/v1/projects/<project>/audit (project admins). Read-only."""

from __future__ import annotations

from bridge.api.registry import Call, Registry
from bridge.api.schemas.members import AuditList, AuditOut, AuditQueryIn
from bridge.audit.log import AuditQuery

routes = Registry()


def _page(call: Call, *, project: str | None) -> AuditList:
    q = call.query_as(AuditQueryIn)
    entries = call.container.identity.audit.query(
        AuditQuery(
            project=project if project is not None else q.project,
            actor=q.user,
            action=q.action,
            since=q.since,
            until=q.until,
            before_id=q.before,
            limit=q.limit,
        )
    )
    items = [AuditOut.of(e) for e in entries]
    full = len(items) == q.limit
    return AuditList(items=items, next_before=items[-1].id if items and full else None)


@routes.route(
    "GET",
    "/api/v1/audit",
    permission="audit.read",
    tag="audit",
    summary="Audit log: every write, run and approval (platform admins)",
    query=AuditQueryIn,
    response=AuditList,
)
def list_audit(call: Call) -> AuditList:
    return _page(call, project=None)


@routes.route(
    "GET",
    "/api/v1/projects/<project>/audit",
    permission="project.audit",
    tag="audit",
    summary="Audit log of one project (project admins)",
    query=AuditQueryIn,
    response=AuditList,
    errors=(404,),
)
def list_project_audit(call: Call, project: str) -> AuditList:
    return _page(call, project=project)
