"""/api/v1/projects/<project>/pipelines/<pipeline>/runs: start, list, view, stop, rerun, replay.

Starting and acting on runs are actions, not desired state: they go to Jenkins at once, for the real
user (``current_actor``; ``jenkins.attribution`` decides how Jenkins records them), and fail fast with
503 when Jenkins is unreachable. Lists come from the run index only (``services/runs.py``), so they
answer when Jenkins is down; a run's detail is read through the coalescing cache.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import request

from bridge.api.access import current_actor
from bridge.api.paging import Key, Pager, list_id
from bridge.api.registry import Call, F, Registry
from bridge.api.schemas.runs import (
    ReplayIn,
    RunDetailOut,
    RunIn,
    RunList,
    RunListQuery,
    RunOut,
    StageOut,
    StageStepsOut,
    StepOut,
)
from bridge.domain.runs import Run, Trigger, TriggerKind
from bridge.services.runs import RunService
from bridge.store.runs import RunFilter

routes = Registry()
RUNS = "/api/v1/projects/<project>/pipelines/<pipeline>/runs"
RUN = RUNS + "/<int:run>"


def _service(call: Call) -> RunService:
    service = call.container.run_service
    assert service is not None  # the composition root always builds it
    return service


@routes.route(
    "POST",
    RUNS,
    permission="run.trigger",
    tag="runs",
    summary="Start a run of a pipeline (as the caller, in Jenkins); it is indexed as queued",
    request=RunIn,
    response=RunOut,
    status=202,
    errors=(400, 404, 409, 502, 503),
)
def trigger_run(call: Call, project: str, pipeline: str) -> RunOut:
    actor = current_actor(request)
    parameters = call.body_as(RunIn).parameters
    run = _service(call).start(
        project, pipeline, parameters, actor, Trigger(TriggerKind.USER, user=actor.user)
    )
    return RunOut.of(run)


@routes.route(
    "GET",
    RUNS,
    permission="run.read",
    tag="runs",
    summary="The pipeline's runs from the run index, newest first (never asks Jenkins)",
    query=RunListQuery,
    response=RunList,
    errors=(400, 404),
)
def list_runs(call: Call, project: str, pipeline: str) -> RunList:
    q = call.query_as(RunListQuery)
    flt = RunFilter(status=q.status, branch=q.branch, trigger=q.trigger, user=q.user)
    pager = Pager.of(q, list_id("runs", project, pipeline, q.status, q.branch, q.trigger, q.user), (int,))
    service = _service(call)

    def fetch(after: Key | None, n: int) -> list[Run]:
        before = None if after is None else int(after[0])
        return service.index(project, pipeline, flt, before_id=before, limit=n)

    runs, token = pager.page(fetch, key=lambda r: (r.id or 0,))
    return RunList(items=[RunOut.of(r) for r in runs], continue_=token)


@routes.route(
    "GET",
    RUN,
    permission="run.read",
    tag="runs",
    summary="A run: status, raw result, timings, parameters, trigger, stage graph, pending input",
    response=RunDetailOut,
    errors=(404,),
)
def get_run(call: Call, project: str, pipeline: str, run: int) -> RunDetailOut:
    detail = _service(call).detail(project, pipeline, run)
    return RunDetailOut.detail(detail.run, detail.graph, detail.live)


@routes.route(
    "GET",
    RUN + "/stages/<stage>",
    permission="run.read",
    tag="runs",
    summary="One stage of a run (by id or name) and its steps with status and durations",
    response=StageStepsOut,
    errors=(404, 502, 503),
)
def get_stage(call: Call, project: str, pipeline: str, run: int, stage: str) -> StageStepsOut:
    found, steps = _service(call).stage(project, pipeline, run, stage)
    return StageStepsOut(
        stage=StageOut.model_validate(found), steps=[StepOut.model_validate(s) for s in steps]
    )


def _acting_on_run(
    action: str, permission: str, summary: str, errors: tuple[int, ...], body: type[ReplayIn] | None = None
) -> Callable[[F], F]:
    """The route of a POST that acts on one run as the caller and answers 202 with the run."""
    return routes.route(
        "POST",
        f"{RUN}/{action}",
        permission=permission,
        tag="runs",
        summary=summary,
        request=body,
        response=RunOut,
        status=202,
        errors=errors,
    )


@_acting_on_run("stop", "run.stop", "Abort a running run (as the caller, in Jenkins)", (404, 409, 502, 503))
def stop_run(call: Call, project: str, pipeline: str, run: int) -> RunOut:
    return RunOut.of(_service(call).stop(project, pipeline, run, current_actor(request)))


@_acting_on_run(
    "rerun",
    "run.trigger",
    "Start a new run with the same parameters (secret ones take their defaults)",
    (400, 404, 409, 502, 503),
)
def rerun(call: Call, project: str, pipeline: str, run: int) -> RunOut:
    return RunOut.of(_service(call).rerun(project, pipeline, run, current_actor(request)))


@_acting_on_run(
    "replay",
    "run.replay",
    "Replay a run with a changed Jenkinsfile (project admins; Groovy sandbox as always)",
    (400, 403, 404, 409, 502, 503),
    body=ReplayIn,
)
def replay(call: Call, project: str, pipeline: str, run: int) -> RunOut:
    script = call.body_as(ReplayIn).jenkinsfile
    return RunOut.of(_service(call).replay(project, pipeline, run, script, current_actor(request)))
