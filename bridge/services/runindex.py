"""How what Jenkins says about a build becomes a row of the run index (shared by the API and the worker).

``trigger_of`` reads a build's causes when the bridge did not start the run itself; ``observed`` merges
a build's state into a row; ``advance`` schedules the row's next refresh (none once it has finished).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from bridge.adapters.jenkins.runport import BuildInfo
from bridge.domain.runs import Run, RunStatus, Trigger, TriggerKind, refresh_delay, status_of
from bridge.identity.attribution import REQUESTED_BY_PARAMETER

REPLAY_CAUSE = "ReplayCause"
TIMER_CAUSE = "TimerTrigger"
USER_CAUSE = "UserIdCause"


def ms_to_time(ms: int | None) -> datetime | None:
    return datetime.fromtimestamp(ms / 1000, UTC) if ms else None


def visible_parameters(values: Mapping[str, str], secret: set[str]) -> dict[str, str]:
    """Parameters as the index keeps them: secret ones masked, the bridge's own left out."""
    return {
        name: ("********" if name in secret else value)
        for name, value in values.items()
        if name != REQUESTED_BY_PARAMETER
    }


def trigger_of(build: BuildInfo) -> Trigger:
    """Why Jenkins started a run the bridge did not start (or no longer remembers starting)."""
    user = next((c.user for c in build.causes if c.kind.endswith(USER_CAUSE)), None)
    for cause in build.causes:
        if cause.kind.endswith(REPLAY_CAUSE):
            found = re.search(r"#(\d+)", cause.description)
            return Trigger(TriggerKind.REPLAY, user=user, origin=int(found.group(1)) if found else None)
    if any(TIMER_CAUSE in c.kind for c in build.causes):
        return Trigger(
            TriggerKind.CRON, note=next(c.description for c in build.causes if TIMER_CAUSE in c.kind)
        )
    requested = build.parameters.get(REQUESTED_BY_PARAMETER)
    if requested:
        return Trigger(TriggerKind.USER, user=requested)
    note = build.causes[0].description if build.causes else None
    return Trigger(TriggerKind.JENKINS, user=user, note=note)


def observed(
    run: Run, build: BuildInfo, *, paused: bool = False, graph: Mapping[str, Any] | None = None
) -> Run:
    """The row once Jenkins said this about its build."""
    status = status_of(building=build.building, result=build.result, paused=paused)
    started = ms_to_time(build.timestamp_ms)
    finished = (
        ms_to_time(build.timestamp_ms + build.duration_ms) if status.finished and build.timestamp_ms else None
    )
    return run.with_(
        number=build.number,
        queue_id=run.queue_id or build.queue_id,
        status=status,
        result=build.result,
        started_at=started or run.started_at,
        finished_at=finished,
        duration_ms=build.duration_ms if status.finished else None,
        parameters=run.parameters or visible_parameters(build.parameters, set()),
        graph=graph if graph is not None else run.graph,
    )


def signature(run: Run) -> tuple[Any, ...]:
    """What counts as a change for the refresh back-off: status, stages and their statuses."""
    stages = tuple((s.get("id"), s.get("status")) for s in (run.graph or {}).get("stages") or ())
    return (run.status, run.number, stages)


def advance(before: Run, after: Run, now: datetime, *, first: float, most: float) -> Run:
    """Schedule the next look at ``after``: sooner after a change, backing off while nothing changes."""
    unchanged = before.unchanged + 1 if signature(before) == signature(after) else 0
    delay = refresh_delay(after.status, unchanged, first=first, most=most)
    when = None if delay is None else now + timedelta(seconds=delay)
    return after.with_(unchanged=unchanged, next_refresh_at=when)


def finished_by_queue(run: Run, now: datetime, why: str) -> Run:
    """A queued run Jenkins cancelled (or forgot) before it started: it ends without a build."""
    return run.with_(
        status=RunStatus.ABORTED if why == "cancelled" else RunStatus.NOT_BUILT,
        finished_at=now,
        next_refresh_at=None,
        graph={"stages": [], "pending_input": None, "note": why},
    )
