"""/api/v1/projects/<project>/pipelines/<pipeline>/runs

Starting a run is an action, not desired state: it goes to Jenkins at once, for the real user
(``current_actor``; ``jenkins.attribution`` decides how Jenkins records them), and fails fast with 503
when Jenkins is unreachable instead of being queued by the bridge.
"""

from __future__ import annotations

from flask import request

from bridge.api.access import current_actor
from bridge.api.registry import Call, Registry
from bridge.api.schemas.runs import RunIn, RunQueuedOut
from bridge.domain.model import ParameterType, Pipeline, SyncStatus
from bridge.errors import Conflict, NotFound
from bridge.services.pipelines import RESERVED_PARAMETER_PREFIX
from bridge.services.validation import Problems

routes = Registry()
RUNS = "/api/v1/projects/<project>/pipelines/<pipeline>/runs"


@routes.route(
    "POST",
    RUNS,
    permission="run.trigger",
    tag="runs",
    summary="Start a run of a pipeline (as the caller, in Jenkins)",
    request=RunIn,
    response=RunQueuedOut,
    status=202,
    errors=(404, 409, 502, 503),
)
def trigger_run(call: Call, project: str, pipeline: str) -> RunQueuedOut:
    stored = call.container.pipelines.get(project, pipeline)
    sync = stored.sync
    if sync is None or sync.synced_at is None:
        raise Conflict(f"pipeline {project}/{pipeline} is not in Jenkins yet; try again once it is synced")
    if sync.status is SyncStatus.ERROR:
        raise Conflict(f"pipeline {project}/{pipeline} cannot run: {sync.message}")
    parameters = call.body_as(RunIn).parameters
    _check_parameters(stored.obj, parameters)
    runs = call.container.runs
    assert runs is not None  # the composition root always builds it
    actor = current_actor(request)
    try:
        queued = runs.trigger_run(f"{project}/{pipeline}", parameters, actor)
    except NotFound:
        raise Conflict(
            f"pipeline {project}/{pipeline} is missing in Jenkins; the next reconcile pass restores it"
        ) from None
    return RunQueuedOut(project=project, pipeline=pipeline, queue_id=queued.number, requested_by=actor.user)


def _check_parameters(pipeline: Pipeline, values: dict[str, str]) -> None:
    """What the bridge knows of the job's parameters; a Jenkinsfile's own are Jenkins's to check."""
    problems = Problems()
    declared = {p.name: p for p in pipeline.parameters}
    for name, value in values.items():
        where = f"parameters.{name}"
        if name.upper().startswith(RESERVED_PARAMETER_PREFIX):
            problems.add(where, "is set by the bridge")
            continue
        param = declared.get(name)
        if param is None:
            continue
        if param.type is ParameterType.CHOICE and value not in param.choices:
            problems.add(where, f"must be one of {list(param.choices)}")
        if param.type is ParameterType.BOOLEAN and value not in ("true", "false"):
            problems.add(where, "must be 'true' or 'false'")
    problems.raise_if_any("run")
