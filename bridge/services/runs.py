"""Runs of a pipeline: start (with a recorded trigger), list from the index, view, stop, rerun, replay.

Lists and finished runs are served from the run index only. An active run's status and stage graph
come from Jenkins through ``CachedRunViews`` (one request per resource per ``run_cache_ttl``, shared by
every reader); when Jenkins cannot answer, the indexed state is served with ``live: false`` instead of
an error. Actions (start, stop, rerun, replay) go to Jenkins at once, for the real user.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from bridge.adapters.jenkins.port import RunPort
from bridge.adapters.jenkins.runport import RunActionPort, RunViewPort
from bridge.domain.jenkinsfile_params import declared_parameters
from bridge.domain.model import ParameterType, Pipeline, SyncStatus
from bridge.domain.rungraph import find_stage, graph_of, step_view
from bridge.domain.runs import Run, RunStatus, Trigger, TriggerKind, status_of
from bridge.errors import Conflict, InvalidRequest, NotFound, UpstreamError, UpstreamUnavailable
from bridge.identity.attribution import REQUESTED_BY_PARAMETER, Actor
from bridge.services.common import project_must_exist
from bridge.services.pipelines import RESERVED_PARAMETER_PREFIX
from bridge.services.runindex import ms_to_time, visible_parameters
from bridge.services.validation import Problems
from bridge.store import Store
from bridge.store.runs import RunFilter

TRUE_FALSE = ("true", "false")


class Views(RunViewPort, Protocol):
    def changed(self, job_path: str, number: int) -> None: ...


@dataclass(frozen=True)
class RunDetail:
    run: Run
    graph: Mapping[str, Any] | None
    live: bool


def job_path(project: str, pipeline: str) -> str:
    return f"{project}/{pipeline}"


def check_parameters(pipeline: Pipeline, values: Mapping[str, str]) -> None:
    """Names, choices and types against the API's definitions and the Jenkinsfile's ``parameters {}``.

    Unknown names are refused when the bridge knows every parameter of the job (the API's, plus an
    inline Jenkinsfile's directive it could read completely); an SCM Jenkinsfile may declare more."""
    problems = Problems()
    declared = declared_parameters(pipeline.jenkinsfile)
    known = {p.name: p for p in declared.parameters} | {p.name: p for p in pipeline.parameters}
    complete = pipeline.scm is None and declared.complete
    for name, value in values.items():
        where = f"parameters.{name}"
        if name.upper().startswith(RESERVED_PARAMETER_PREFIX):
            problems.add(where, "is set by the bridge")
            continue
        param = known.get(name)
        if param is None:
            if complete:
                problems.add(where, f"is not a parameter of this pipeline (it has {sorted(known) or 'none'})")
            continue
        if param.type is ParameterType.CHOICE and value not in param.choices:
            problems.add(where, f"must be one of {list(param.choices)}")
        if param.type is ParameterType.BOOLEAN and value not in TRUE_FALSE:
            problems.add(where, "must be 'true' or 'false' (a boolean parameter)")
        if param.type in (ParameterType.STRING, ParameterType.PASSWORD) and "\n" in value:
            problems.add(where, f"must be one line (a {param.type.value} parameter; use a text parameter)")
    problems.raise_if_any("run")


def _secret_names(pipeline: Pipeline) -> set[str]:
    declared = declared_parameters(pipeline.jenkinsfile).parameters
    return {p.name for p in (*pipeline.parameters, *declared) if p.type is ParameterType.PASSWORD}


class RunService:
    def __init__(
        self,
        store: Store,
        runs: RunPort,
        views: Views,
        actions: RunActionPort,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store, self.runs, self.views, self.actions, self.clock = store, runs, views, actions, clock

    # -- reads ---------------------------------------------------------------------------------

    def pipeline(self, project: str, name: str) -> Pipeline:
        with self.store.read() as tx:
            project_must_exist(tx, project)
            found = tx.pipelines.get(project, name)
        if found is None:
            raise NotFound(f"pipeline {name!r} does not exist in project {project!r}")
        return found.obj

    def index(
        self, project: str, pipeline: str, flt: RunFilter, *, before_id: int | None, limit: int
    ) -> list[Run]:
        self.pipeline(project, pipeline)
        with self.store.read() as tx:
            return tx.runs.page(project, pipeline, flt, before_id=before_id, limit=limit)

    def indexed(self, project: str, pipeline: str, number: int) -> Run:
        with self.store.read() as tx:  # one transaction: this is the path every poller takes
            run = tx.runs.get(project, pipeline, number)
            if run is None:
                project_must_exist(tx, project)
                if tx.pipelines.get(project, pipeline) is None:
                    raise NotFound(f"pipeline {pipeline!r} does not exist in project {project!r}")
        if run is None:
            raise NotFound(f"run {number} of pipeline {project}/{pipeline} is not in the run index")
        return run

    def detail(self, project: str, pipeline: str, number: int) -> RunDetail:
        run = self.indexed(project, pipeline, number)
        if run.finished:
            return RunDetail(run, run.graph, live=False)
        path = job_path(project, pipeline)
        try:
            build = self.views.build(path, number)
            describe = self.views.describe(path, number)
            paused = describe.get("status") == "PAUSED_PENDING_INPUT"
            inputs = self.views.pending_inputs(path, number) if paused else ()
        except (UpstreamError, UpstreamUnavailable, NotFound):
            return RunDetail(run, run.graph, live=False)
        status = status_of(building=build.building, result=build.result, paused=paused)
        current = run.with_(
            status=status,
            result=build.result,
            started_at=ms_to_time(build.timestamp_ms) or run.started_at,
            duration_ms=build.duration_ms if status.finished else None,
        )
        return RunDetail(current, graph_of(describe, inputs), live=True)

    def stage(
        self, project: str, pipeline: str, number: int, stage: str
    ) -> tuple[Mapping[str, Any], list[dict[str, Any]]]:
        """A stage of the graph (by id or name) and its steps with status and durations."""
        detail = self.detail(project, pipeline, number)
        found = find_stage(detail.graph or {}, stage)
        if found is None:
            raise NotFound(f"run {number} has no stage {stage!r}")
        if detail.run.finished and "steps" in found:
            return found, list(found["steps"])
        try:
            described = self.views.stage(job_path(project, pipeline), number, str(found["id"]))
        except UpstreamError as e:
            raise UpstreamError(f"Jenkins could not show the steps of stage {stage!r}: {e.detail}") from e
        steps = [step_view(n) for n in described.get("stageFlowNodes") or () if isinstance(n, Mapping)]
        return found, steps

    # -- actions -------------------------------------------------------------------------------

    def start(
        self, project: str, pipeline: str, parameters: Mapping[str, str], actor: Actor, trigger: Trigger
    ) -> Run:
        """Queue a run in Jenkins for ``actor`` and index it with its trigger (any trigger: the API's
        user, a webhook delivery, a rerun). Parameters are checked first (``InvalidRequest``)."""
        with self.store.read() as tx:
            project_must_exist(tx, project)
            stored = tx.pipelines.get(project, pipeline)
        if stored is None:
            raise NotFound(f"pipeline {pipeline!r} does not exist in project {project!r}")
        sync = stored.sync
        if sync is None or sync.synced_at is None:
            raise Conflict(
                f"pipeline {project}/{pipeline} is not in Jenkins yet; try again once it is synced"
            )
        if sync.status is SyncStatus.ERROR:
            raise Conflict(f"pipeline {project}/{pipeline} cannot run: {sync.message}")
        check_parameters(stored.obj, parameters)
        try:
            queued = self.runs.trigger_run(job_path(project, pipeline), parameters, actor)
        except NotFound:
            raise Conflict(
                f"pipeline {project}/{pipeline} is missing in Jenkins; the next reconcile pass restores it"
            ) from None
        now = self.clock()
        branch = stored.obj.scm.branch if stored.obj.scm is not None else None
        run = Run(
            project=project,
            pipeline=pipeline,
            trigger=trigger,
            queue_id=queued.number,
            branch=branch,
            parameters=visible_parameters(parameters, _secret_names(stored.obj)),
            queued_at=now,
            next_refresh_at=now,
        )
        with self.store.write() as tx:
            return tx.runs.add(run)

    def stop(self, project: str, pipeline: str, number: int, actor: Actor) -> Run:
        run = self.indexed(project, pipeline, number)
        if run.finished:
            raise Conflict(f"run {number} has already finished ({run.status.value})")
        self.actions.stop(job_path(project, pipeline), number, actor)
        self.views.changed(job_path(project, pipeline), number)
        with self.store.write() as tx:
            fresh = tx.runs.by_id(run.id or 0) or run
            fresh = fresh.with_(next_refresh_at=self.clock(), unchanged=0)
            tx.runs.save(fresh)
        return fresh

    def rerun(self, project: str, pipeline: str, number: int, actor: Actor) -> Run:
        """The same parameters again (secret ones take their defaults: the index never held them)."""
        run = self.indexed(project, pipeline, number)
        secret = _secret_names(self.pipeline(project, pipeline))
        values = {k: v for k, v in run.parameters.items() if k not in secret and k != REQUESTED_BY_PARAMETER}
        trigger = Trigger(TriggerKind.RERUN, user=actor.user, origin=number)
        return self.start(project, pipeline, values, actor, trigger)

    def replay(self, project: str, pipeline: str, number: int, script: str, actor: Actor) -> Run:
        """Jenkins's replay with a changed Jenkinsfile; indexed as queued until the worker finds the
        build Jenkins started (a replay has no queue item to follow)."""
        stored = self.pipeline(project, pipeline)
        run = self.indexed(project, pipeline, number)
        if stored.jenkinsfile is None and stored.scm is None:
            raise Conflict("this pipeline has no Jenkinsfile to replay")
        if not script.strip():
            raise InvalidRequest(
                "the Jenkinsfile must not be empty", errors=[{"field": "jenkinsfile", "message": "empty"}]
            )
        if run.status is RunStatus.QUEUED:
            raise Conflict(f"run {number} has not started: nothing to replay yet")
        self.actions.replay(job_path(project, pipeline), number, script, actor)
        now = self.clock()
        replayed = Run(
            project=project,
            pipeline=pipeline,
            trigger=Trigger(
                TriggerKind.REPLAY, user=actor.user, origin=number, note=actor.request_id or None
            ),
            branch=run.branch,
            parameters=dict(run.parameters),
            queued_at=now,
        )
        with self.store.write() as tx:
            return tx.runs.add(replayed)
