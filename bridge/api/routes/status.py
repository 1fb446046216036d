"""/healthz, /readyz, /api/v1/sync and the OpenAPI document."""

from __future__ import annotations

import concurrent.futures
import logging
from typing import Any

from flask import current_app
from pydantic import BaseModel, ConfigDict, RootModel

from bridge.api.auth import PUBLIC
from bridge.api.registry import Call, Registry
from bridge.api.schemas.resync import ResyncOut
from bridge.api.schemas.status import HealthOut, ReadyOut, SyncErrorOut, SyncSummaryOut

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
    jenkins = "unknown"
    if call.container.jenkins_probe is not None:
        future = _probe_pool.submit(call.container.jenkins_probe)
        try:
            reachable = future.result(timeout=JENKINS_PROBE_SECONDS)
            jenkins = "unknown" if reachable is None else "ok" if reachable else "unreachable"
        except Exception:
            jenkins = "unreachable"
    ready = store == "ok"
    body = ReadyOut(status="ready" if ready else "not-ready", store=store, jenkins=jenkins)  # type: ignore[arg-type]
    return body, 200 if ready else 503


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
        resyncs=[ResyncOut.of(r) for r in call.container.resyncs.latest()],
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
