"""Runs as the bridge indexes them: status, trigger, timings; pure rules, no I/O.

``RunStatus`` is the one vocabulary every client sees; Jenkins's raw result is kept beside it.
``refresh_delay`` decides how soon the worker looks at an active run again (adaptive back-off);
``expired`` applies a pipeline's build discarder to the index.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from bridge.domain.model import Discarder


class RunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNSTABLE = "unstable"
    ABORTED = "aborted"
    NOT_BUILT = "not_built"

    @property
    def finished(self) -> bool:
        return self not in (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.PAUSED)


ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.PAUSED)

#: Jenkins ``Result`` names → the bridge's status.
RESULTS: Mapping[str, RunStatus] = {
    "SUCCESS": RunStatus.SUCCEEDED,
    "FAILURE": RunStatus.FAILED,
    "UNSTABLE": RunStatus.UNSTABLE,
    "ABORTED": RunStatus.ABORTED,
    "NOT_BUILT": RunStatus.NOT_BUILT,
}

#: Stage View (``StatusExt``) names → the bridge's status.
STAGE_STATUSES: Mapping[str, RunStatus] = {
    "SUCCESS": RunStatus.SUCCEEDED,
    "FAILED": RunStatus.FAILED,
    "UNSTABLE": RunStatus.UNSTABLE,
    "ABORTED": RunStatus.ABORTED,
    "NOT_EXECUTED": RunStatus.NOT_BUILT,
    "IN_PROGRESS": RunStatus.RUNNING,
    "PAUSED_PENDING_INPUT": RunStatus.PAUSED,
    "QUEUED": RunStatus.QUEUED,
}


def status_of(*, building: bool, result: str | None, paused: bool = False) -> RunStatus:
    """A started build's status: from its result once it has one, else running or paused."""
    if result:
        return RESULTS.get(result.upper(), RunStatus.FAILED)
    if not building:
        return RunStatus.RUNNING  # between the executor and the result: still going
    return RunStatus.PAUSED if paused else RunStatus.RUNNING


class TriggerKind(enum.StrEnum):
    USER = "user"  # through the API, for a bridge user
    WEBHOOK = "webhook"  # a verified webhook delivery
    CRON = "cron"  # the job's timer trigger
    REPLAY = "replay"  # Jenkins's replay (through the API or in Jenkins)
    RERUN = "rerun"  # the same parameters again, through the API
    JENKINS = "jenkins"  # started inside Jenkins (its UI, its API, an upstream job)


@dataclass(frozen=True)
class Trigger:
    """Why a run started. ``user``: who (bridge user, or the Jenkins user for ``jenkins``);
    ``delivery``/``commit``: the webhook's; ``origin``: the run a rerun or replay repeats."""

    kind: TriggerKind
    user: str | None = None
    delivery: str | None = None
    commit: str | None = None
    origin: int | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None and k != "kind"} | {
            "kind": self.kind.value
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Trigger:
        origin = data.get("origin")
        return cls(
            kind=TriggerKind(str(data.get("kind", "jenkins"))),
            user=data.get("user"),
            delivery=data.get("delivery"),
            commit=data.get("commit"),
            origin=int(origin) if origin is not None else None,
            note=data.get("note"),
        )


@dataclass(frozen=True)
class Run:
    """One row of the run index."""

    project: str
    pipeline: str
    trigger: Trigger
    status: RunStatus = RunStatus.QUEUED
    number: int | None = None
    queue_id: int | None = None
    result: str | None = None
    branch: str | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)
    queued_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: int | None = None
    #: The stage graph as last read (kept for finished runs: they are never read from Jenkins again).
    graph: Mapping[str, Any] | None = None
    id: int | None = None
    #: When the worker looks at this run next, and how many looks in a row found nothing new.
    next_refresh_at: datetime | None = None
    unchanged: int = 0

    @property
    def finished(self) -> bool:
        return self.status.finished

    def with_(self, **changes: Any) -> Run:
        return replace(self, **changes)


def refresh_delay(status: RunStatus, unchanged: int, *, first: float, most: float) -> float | None:
    """Seconds until the worker looks at a run again; ``None``: never (it has finished).

    A queued run is looked at every ``first`` seconds (its build number is what clients wait for);
    a running one starts at ``first`` and doubles while nothing changes, up to ``most``; a paused one
    waits for a person, so it starts at the ceiling's half.
    """
    if status.finished:
        return None
    if status is RunStatus.QUEUED:
        return first
    base = first if status is RunStatus.RUNNING else max(first, most / 2)
    return float(min(most, base * 2 ** min(unchanged, 16)))


def expired(runs: list[Run], discarder: Discarder | None, now: datetime) -> list[Run]:
    """Finished runs the pipeline's build discarder has Jenkins throw away: the index forgets them too.

    Newest first in ``runs``. ``builds``: keep that many finished runs; ``days``: keep runs that finished
    within that many days. Active runs are never expired. Without a discarder the index keeps every run.
    """
    if discarder is None:
        return []
    finished = [r for r in runs if r.finished]
    gone: list[Run] = []
    if discarder.builds is not None:
        gone += finished[discarder.builds :]
    if discarder.days is not None:
        limit = now - timedelta(days=discarder.days)
        gone += [r for r in finished if (r.finished_at or r.queued_at or now) < limit and r not in gone]
    return gone
