"""Runs: starting one, the run index, a run's detail (status, stage graph), a stage's steps, actions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from bridge.api.schemas.common import Input, PageOut, PageQuery
from bridge.domain.runs import Run

Status = Literal["queued", "running", "paused", "succeeded", "failed", "unstable", "aborted", "not_built"]
TriggerName = Literal["user", "webhook", "cron", "replay", "rerun", "jenkins"]


class RunIn(Input):
    parameters: dict[str, str] = Field(
        default_factory=dict,
        max_length=200,
        description="Build parameters by name; booleans as 'true'/'false'. Parameters left out take "
        "their defaults.",
    )


class ReplayIn(Input):
    jenkinsfile: str = Field(
        min_length=1,
        max_length=512 * 1024,
        description="The main script to run instead of the original's (as Jenkins's Replay; same "
        "parameters; still compiled in the Groovy sandbox)",
    )


class RunListQuery(PageQuery):
    status: Status | None = None
    branch: str | None = Field(default=None, max_length=253)
    trigger: TriggerName | None = None
    user: str | None = Field(default=None, max_length=253, description="Who triggered the run")


class TriggerOut(BaseModel):
    kind: TriggerName
    user: str | None = Field(
        default=None, description="Who: the bridge user, or the Jenkins user for 'jenkins'"
    )
    delivery: str | None = Field(default=None, description="The webhook delivery id")
    commit: str | None = None
    origin: int | None = Field(default=None, description="The run a rerun or replay repeats")
    note: str | None = Field(default=None, description="Jenkins's own words for the cause")


class RunOut(BaseModel):
    project: str
    pipeline: str
    number: int | None = Field(description="The build number; null while the run is queued")
    queue_id: int | None = Field(default=None, description="Jenkins's queue item, while known")
    status: Status
    result: str | None = Field(default=None, description="Jenkins's raw result (SUCCESS, FAILURE, ...)")
    branch: str | None = None
    trigger: TriggerOut
    parameters: dict[str, str] = Field(description="Values the run got (secret ones masked)")
    queued_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: int | None = None

    # kept for the existing clients of POST .../runs
    requested_by: str | None = Field(default=None, description="Who asked for the run (see docs/security.md)")

    @classmethod
    def of(cls, run: Run) -> RunOut:
        t = run.trigger
        return cls(
            project=run.project,
            pipeline=run.pipeline,
            number=run.number,
            queue_id=run.queue_id,
            status=run.status.value,
            result=run.result,
            branch=run.branch,
            trigger=TriggerOut(
                kind=t.kind.value,
                user=t.user,
                delivery=t.delivery,
                commit=t.commit,
                origin=t.origin,
                note=t.note,
            ),
            parameters=dict(run.parameters),
            queued_at=run.queued_at,
            started_at=run.started_at,
            finished_at=run.finished_at,
            duration_ms=run.duration_ms,
            requested_by=t.user,
        )


class RunList(PageOut):
    items: list[RunOut] = Field(
        description="Newest first: in the order the bridge learnt of the runs (from the run index only)"
    )


class ErrorOut(BaseModel):
    message: str
    type: str = ""


class StepOut(BaseModel):
    id: str
    name: str
    status: Status
    raw_status: str | None = Field(
        default=None, description="Stage View's status (SUCCESS, IN_PROGRESS, ...)"
    )
    start_ms: int = Field(description="Start, milliseconds since the epoch")
    duration_ms: int
    pause_ms: int = 0
    description: str | None = Field(default=None, description="The step's arguments, as Jenkins shows them")
    error: ErrorOut | None = None


class StageOut(BaseModel):
    id: str
    name: str
    status: Status
    raw_status: str | None = None
    start_ms: int
    duration_ms: int
    pause_ms: int = 0
    parallel: bool = Field(default=False, description="Whether the nested stages are parallel branches")
    stages: list[StageOut] = Field(default_factory=list, description="Nested stages or parallel branches")
    error: ErrorOut | None = None


class InputParameterOut(BaseModel):
    name: str
    type: str
    description: str = ""


class PendingInputOut(BaseModel):
    id: str
    message: str
    proceed_text: str = ""
    parameters: list[InputParameterOut] = Field(default_factory=list)


class RunDetailOut(RunOut):
    live: bool = Field(
        description="Read from Jenkins just now (false: the index's last state, e.g. Jenkins is down)"
    )
    stages: list[StageOut] = Field(default_factory=list)
    pending_input: PendingInputOut | None = None

    @classmethod
    def detail(cls, run: Run, graph: Mapping[str, Any] | None, live: bool) -> RunDetailOut:
        base = RunOut.of(run).model_dump()
        graph = graph or {}
        return cls(
            **base,
            live=live,
            stages=[StageOut.model_validate(s) for s in graph.get("stages") or ()],
            pending_input=PendingInputOut.model_validate(graph["pending_input"])
            if graph.get("pending_input")
            else None,
        )


class StageStepsOut(BaseModel):
    stage: StageOut
    steps: list[StepOut]
