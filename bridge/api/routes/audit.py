"""/api/v1/audit (platform admins) and /api/v1/projects/<project>/audit (project admins). Read-only.

Newest first, in pages (``limit``, ``continue``).
A project's log shows only its current incarnation: entries from the project's creation on. An earlier
project of the same name (deleted, then created again, perhaps by another team) is not shown to the
new project's admins; platform admins see everything through ``/api/v1/audit?project=``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bridge.api.paging import Key, Pager, list_id
from bridge.api.registry import Call, Registry
from bridge.api.schemas.members import AuditList, AuditOut, AuditQueryIn
from bridge.audit.log import MAX_PAGE, AuditEntry, AuditQuery

routes = Registry()


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _page(call: Call, *, project: str | None, not_before: datetime | None = None) -> AuditList:
    q = call.query_as(AuditQueryIn)
    since = q.since
    if not_before is not None:
        since = not_before if since is None else max(_utc(since), _utc(not_before))
    selection = list_id("audit", project, q.project, q.user, q.action, since, q.until, q.before)
    pager = Pager.of(q, selection, (int,))

    def fetch(after: Key | None, n: int) -> list[AuditEntry]:
        found: list[AuditEntry] = []
        before = q.before if after is None else int(after[0])
        while True:  # the log answers at most MAX_PAGE entries at a time
            want = min(n - len(found), MAX_PAGE)
            batch = call.container.identity.audit.query(
                AuditQuery(
                    project=project if project is not None else q.project,
                    actor=q.user,
                    action=q.action,
                    since=since,
                    until=q.until,
                    before_id=before,
                    limit=want,
                )
            )
            found += batch
            if len(batch) < want or len(found) >= n:
                return found
            before = batch[-1].id

    entries, token = pager.page(fetch, key=lambda e: (e.id or 0,))
    return AuditList(items=[AuditOut.of(e) for e in entries], continue_=token)


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
    born = call.container.projects.get(project).meta.created_at  # NotFound for a missing project
    return _page(call, project=project, not_before=born)
