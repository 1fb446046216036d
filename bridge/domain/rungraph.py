"""A run's stage graph from Stage View's answers (``wfapi/describe?fullStages=true``): pure functions.

Stage View lists every ``stage`` block flat, nested ones included, each with its ``stageFlowNodes``
(the steps at any depth inside it, at most 100). The nesting is recovered without more requests:
stage C is inside stage P when C starts after P (FlowNode ids grow with time) and C's steps are among
P's, or C's start node falls inside P's id range (a child without steps, e.g. skipped by ``when``).
Children are **parallel branches** when they interleave: CPS starts every branch of a ``parallel``
before any branch runs a step, so a later sibling's start node id is below an earlier sibling's
last step id; sequential nested stages never interleave.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bridge.domain.runs import STAGE_STATUSES, RunStatus


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def stage_status(raw: str | None) -> str:
    return STAGE_STATUSES.get(str(raw or ""), RunStatus.RUNNING).value


def _error(node: Mapping[str, Any]) -> dict[str, str] | None:
    error = node.get("error")
    if not isinstance(error, Mapping):
        return None
    return {"message": str(error.get("message", "")), "type": str(error.get("type", ""))}


@dataclass
class _Stage:
    raw: Mapping[str, Any]
    id: int
    atoms: set[int]
    children: list[_Stage] = field(default_factory=list)

    @property
    def last(self) -> int:
        return max(self.atoms, default=self.id)

    def contains(self, other: _Stage) -> bool:
        if other.id <= self.id:
            return False
        if other.atoms:
            return other.atoms <= self.atoms
        return other.id < self.last


def step_view(node: Mapping[str, Any]) -> dict[str, Any]:
    """One step (a Stage View flow node) as the API shows it."""
    out: dict[str, Any] = {
        "id": str(node.get("id", "")),
        "name": str(node.get("name", "")),
        "status": stage_status(node.get("status")),
        "raw_status": node.get("status"),
        "start_ms": _int(node.get("startTimeMillis")),
        "duration_ms": _int(node.get("durationMillis")),
        "pause_ms": _int(node.get("pauseDurationMillis")),
    }
    if node.get("parameterDescription"):
        out["description"] = str(node["parameterDescription"])
    if (error := _error(node)) is not None:
        out["error"] = error
    return out


def _stage_view(stage: _Stage) -> dict[str, Any]:
    raw = stage.raw
    out: dict[str, Any] = {
        "id": str(raw.get("id", "")),
        "name": str(raw.get("name", "")),
        "status": stage_status(raw.get("status")),
        "raw_status": raw.get("status"),
        "start_ms": _int(raw.get("startTimeMillis")),
        "duration_ms": _int(raw.get("durationMillis")),
        "pause_ms": _int(raw.get("pauseDurationMillis")),
        "parallel": _interleaved(stage.children),
        "stages": [_stage_view(c) for c in stage.children],
        # kept with a finished run so its stages' steps are served without Jenkins
        "steps": [step_view(n) for n in raw.get("stageFlowNodes") or () if isinstance(n, Mapping)],
    }
    if (error := _error(raw)) is not None:
        out["error"] = error
    return out


def _interleaved(children: Sequence[_Stage]) -> bool:
    ordered = sorted(children, key=lambda c: c.id)
    return any(later.id < earlier.last for earlier, later in itertools.pairwise(ordered))


def _tree(stages: Sequence[Mapping[str, Any]]) -> list[_Stage]:
    nodes = [
        _Stage(
            raw=s,
            id=_int(s.get("id")),
            atoms={_int(n.get("id")) for n in s.get("stageFlowNodes") or () if isinstance(n, Mapping)},
        )
        for s in stages
        if isinstance(s, Mapping)
    ]
    roots: list[_Stage] = []
    placed: list[_Stage] = []
    for stage in sorted(nodes, key=lambda n: n.id):
        parents = [p for p in placed if p.contains(stage)]
        if parents:
            max(parents, key=lambda p: p.id).children.append(stage)  # the innermost one
        else:
            roots.append(stage)
        placed.append(stage)
    return roots


def pending_input(actions: Sequence[Mapping[str, Any]] | None) -> dict[str, Any] | None:
    """The first pending input (``wfapi/pendingInputActions``), without Jenkins's URLs."""
    for action in actions or ():
        if isinstance(action, Mapping) and action.get("id"):
            return {
                "id": str(action["id"]),
                "message": str(action.get("message", "")),
                "proceed_text": str(action.get("proceedText", "")),
                "parameters": [
                    {
                        "name": str(p.get("name", "")),
                        "type": str(p.get("type", "")),
                        "description": str(p.get("description", "")),
                    }
                    for p in action.get("inputs") or ()
                    if isinstance(p, Mapping)
                ],
            }
    return None


def graph_of(
    describe: Mapping[str, Any], inputs: Sequence[Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """The run's stages in order (nested stages and parallel branches under their stage) and its
    pending input, from ``wfapi/describe?fullStages=true`` and ``wfapi/pendingInputActions``."""
    stages = describe.get("stages") or []
    return {
        "raw_status": describe.get("status"),
        "start_ms": _int(describe.get("startTimeMillis")),
        "end_ms": _int(describe.get("endTimeMillis")),
        "duration_ms": _int(describe.get("durationMillis")),
        "queue_ms": _int(describe.get("queueDurationMillis")),
        "pause_ms": _int(describe.get("pauseDurationMillis")),
        "stages": [_stage_view(s) for s in _tree(stages)],
        "pending_input": pending_input(inputs),
    }


def find_stage(graph: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    """A stage of the graph by id, or by name when no id matches (names may repeat: the first wins)."""
    flat: list[Mapping[str, Any]] = []

    def walk(stages: Sequence[Mapping[str, Any]]) -> None:
        for s in stages:
            flat.append(s)
            walk(s.get("stages") or ())

    walk(graph.get("stages") or ())
    return next((s for s in flat if s.get("id") == key), None) or next(
        (s for s in flat if s.get("name") == key), None
    )
