"""/healthz, /readyz, /metrics, /api/v1/sync and the OpenAPI document.

Readiness is the store and, in a process that runs the worker, the scheduler lock (a worker that lost
it stopped reconciling: not ready). Jenkins and the clusters are reported (``/readyz``: Jenkins;
``/api/v1/sync``: both), never fatal: the API works without them.
"""

from __future__ import annotations

import concurrent.futures
import logging
from typing import Any

from flask import Response, current_app
from pydantic import BaseModel, ConfigDict, RootModel

from bridge.api.auth import PUBLIC
from bridge.api.registry import Call, Registry
from bridge.api.schemas.resync import ResyncOut
from bridge.api.schemas.status import (
    ClusterReachabilityOut,
    HealthOut,
    ReadyOut,
    ReadyWithLeasesOut,
    SyncErrorOut,
    SyncSummaryOut,
)
from bridge.bootstrap import Container

log = logging.getLogger(__name__)
routes = Registry()
#: Readiness must answer fast even when Jenkins hangs; the probe gets this long.
JENKINS_PROBE_SECONDS = 2.0
_probe_pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="jenkins-probe")


class OpenApiDocument(RootModel[dict[str, Any]]):
    model_config = ConfigDict(title="OpenApiDocument")


@routes.route(
    "GET", "/healthz", permission=PUBLIC, tag="health", summary="The process is up", response=HealthOut
)
def healthz(call: Call) -> HealthOut:
    return HealthOut()


@routes.route(
    "GET",
    "/readyz",
    permission=PUBLIC,
    tag="health",
    summary="The store is reachable (Jenkins reachability is reported, not required)",
    response=ReadyOut,
    errors=(),
)
def readyz(call: Call) -> tuple[BaseModel, int]:
    try:
        call.container.store.ping()
        store = "ok"
    except Exception:
        log.warning("readiness: the store is unreachable", exc_info=True)
        store = "unreachable"
    jenkins = _jenkins_state(call.container)
    leader = call.container.leader_state() if call.container.leader_state is not None else "none"
    ready = store == "ok" and leader != "lost"
    body = ReadyOut(status="ready" if ready else "not-ready", store=store, jenkins=jenkins, leader=leader)  # type: ignore[arg-type]
    if call.container.leases is not None:  # several workers share the controllers: which are this one's
        body = ReadyWithLeasesOut(**body.model_dump(), leases=sorted(call.container.leases()))
    return body, 200 if ready else 503


def _jenkins_state(container: Container) -> str:
    if container.jenkins_probe is None:
        return "unknown"
    future = _probe_pool.submit(container.jenkins_probe)
    try:
        reachable = future.result(timeout=JENKINS_PROBE_SECONDS)
    except Exception:
        return "unreachable"
    return "unknown" if reachable is None else "ok" if reachable else "unreachable"


@routes.route(
    "GET",
    "/metrics",
    permission="metrics.read",
    tag="health",
    summary="Prometheus metrics (text exposition format)",
    media_type="text/plain",
)
def metrics(call: Call) -> Response:
    from bridge.metrics import CONTENT_TYPE

    registry = call.container.metrics
    body = registry.render() if registry is not None else b""
    return Response(body, status=200, headers={"Content-Type": CONTENT_TYPE, "Cache-Control": "no-store"})


@routes.route(
    "GET",
    "/api/v1/sync",
    permission="sync.read",
    tag="sync",
    summary="How many objects are pending, synced or failing",
    response=SyncSummaryOut,
)
def sync_summary(call: Call) -> SyncSummaryOut:
    s = call.container.sync.summary()
    return SyncSummaryOut(
        counts=s.counts,
        errors=[
            SyncErrorOut(kind=k.kind.value, project=k.project, name=k.name, message=state.message)
            for k, state in s.errors
        ],
        queued=s.queued,
        oldest_queued_at=s.oldest_queued_at,
        tombstones=s.tombstones,
        jenkins=_jenkins_state(call.container),  # type: ignore[arg-type]
        clusters=_clusters(call.container),
        resyncs=[ResyncOut.of(r) for r in call.container.resyncs.latest()],
    )


def _clusters(container: Container) -> ClusterReachabilityOut | None:
    states = container.clusters.catalog.states()
    if not states:
        return None
    seen = [s for s in states if s.reachability is not None]
    return ClusterReachabilityOut(
        total=len(states),
        reachable=sum(1 for s in seen if s.reachability and s.reachability.reachable),
        unreachable=[s.record.name for s in seen if s.reachability and not s.reachability.reachable],
        unchecked=len(states) - len(seen),
    )


@routes.route(
    "GET",
    "/api/v1/openapi.json",
    permission=PUBLIC,
    tag="meta",
    summary="This API's OpenAPI 3.1 document",
    response=OpenApiDocument,
)
def openapi(call: Call) -> OpenApiDocument:
    document: dict[str, Any] = current_app.extensions["bridge.openapi"]
    return OpenApiDocument(document)
