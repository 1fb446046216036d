"""POST /api/v1/sync and POST /api/v1/projects/{project}/sync: a resync queued for the worker (202)."""

from __future__ import annotations

from bridge.api.registry import Call, Registry
from bridge.api.schemas.resync import ResyncIn, ResyncOut

routes = Registry()


@routes.route(
    "POST",
    "/api/v1/sync",
    permission="sync.request",
    tag="sync",
    summary="Queue a full pass over every project (deep on request); the outcome shows in GET /api/v1/sync",
    request=ResyncIn,
    body_optional=True,
    response=ResyncOut,
    status=202,
)
def request_resync(call: Call) -> ResyncOut:
    body = call.body_as(ResyncIn)
    queued = call.container.resyncs.request(None, deep=body.deep, requested_by=call.principal.name)
    return ResyncOut.of(queued)


@routes.route(
    "POST",
    "/api/v1/projects/<project>/sync",
    permission="project.sync",
    tag="sync",
    summary="Queue a full pass over the project (deep on request); the outcome shows in GET /api/v1/sync",
    request=ResyncIn,
    body_optional=True,
    response=ResyncOut,
    status=202,
    errors=(404,),
)
def request_project_resync(call: Call, project: str) -> ResyncOut:
    body = call.body_as(ResyncIn)
    queued = call.container.resyncs.request(project, deep=body.deep, requested_by=call.principal.name)
    return ResyncOut.of(queued)
