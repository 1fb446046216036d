"""The run index's pure rules: statuses, refresh back-off, retention, the stage tree, Jenkinsfile
parameters, and the coalescing cache (threads, a counting loader)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from bridge.adapters.jenkins.coalesce import Coalescer
from bridge.domain.jenkinsfile_params import conflicts, declared_parameters, with_jenkinsfile_parameters
from bridge.domain.model import Discarder, Parameter, ParameterType, Pipeline
from bridge.domain.rungraph import graph_of
from bridge.domain.runs import Run, RunStatus, Trigger, TriggerKind, expired, refresh_delay, status_of

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_status_of_a_build() -> None:
    assert status_of(building=True, result=None) is RunStatus.RUNNING
    assert status_of(building=True, result=None, paused=True) is RunStatus.PAUSED
    assert status_of(building=False, result="UNSTABLE") is RunStatus.UNSTABLE
    assert status_of(building=False, result="NOT_BUILT") is RunStatus.NOT_BUILT
    assert status_of(building=False, result="ABORTED") is RunStatus.ABORTED


def test_refresh_backs_off_while_nothing_changes_and_stops_when_finished() -> None:
    delays = [refresh_delay(RunStatus.RUNNING, n, first=2, most=30) for n in range(6)]
    assert delays == [2, 4, 8, 16, 30, 30]
    assert refresh_delay(RunStatus.QUEUED, 9, first=2, most=30) == 2
    assert refresh_delay(RunStatus.PAUSED, 0, first=2, most=30) == 15
    assert refresh_delay(RunStatus.SUCCEEDED, 0, first=2, most=30) is None


def _run(n: int, status: RunStatus = RunStatus.SUCCEEDED, age_days: int = 0) -> Run:
    return Run(
        "p",
        "b",
        Trigger(TriggerKind.JENKINS),
        status=status,
        number=n,
        id=n,
        finished_at=NOW - timedelta(days=age_days),
    )


def test_retention_follows_the_discarder_and_spares_active_runs() -> None:
    runs = [
        _run(5, RunStatus.RUNNING),
        _run(4),
        _run(3, age_days=2),
        _run(2, age_days=10),
        _run(1, age_days=20),
    ]
    assert expired(runs, None, NOW) == []
    assert [r.number for r in expired(runs, Discarder(builds=2), NOW)] == [2, 1]
    assert [r.number for r in expired(runs, Discarder(days=5), NOW)] == [2, 1]
    assert [r.number for r in expired(runs, Discarder(days=1, builds=3), NOW)] == [1, 3, 2]


def _stage(node: int, name: str, atoms: list[int], status: str = "SUCCESS") -> dict[str, object]:
    return {
        "id": str(node),
        "name": name,
        "status": status,
        "startTimeMillis": 1,
        "durationMillis": 2,
        "stageFlowNodes": [{"id": str(a), "name": "Shell Script", "status": status} for a in atoms],
    }


def test_nested_stages_are_parallel_only_when_they_interleave() -> None:
    parallel = graph_of(
        {
            "stages": [
                _stage(5, "build", [7]),
                _stage(10, "tests", [19, 20, 21]),
                _stage(15, "unit", [19, 21]),
                _stage(17, "e2e", [20]),
            ]
        }
    )
    (build, tests) = parallel["stages"]
    assert (build["name"], build["stages"], build["parallel"]) == ("build", [], False)
    assert [s["name"] for s in tests["stages"]] == ["unit", "e2e"] and tests["parallel"] is True
    sequential = graph_of(
        {
            "stages": [
                _stage(10, "outer", [14, 18]),
                _stage(12, "first", [14]),
                _stage(16, "second", [18]),
            ]
        }
    )
    (outer,) = sequential["stages"]
    assert [s["name"] for s in outer["stages"]] == ["first", "second"] and outer["parallel"] is False


def test_pending_input_and_statuses_in_the_graph() -> None:
    graph = graph_of(
        {"status": "PAUSED_PENDING_INPUT", "stages": [_stage(5, "approve", [7], "PAUSED_PENDING_INPUT")]},
        [
            {
                "id": "abc",
                "message": "Ship?",
                "proceedText": "Go",
                "inputs": [{"name": "WHO", "type": "StringParameterDefinition"}],
            }
        ],
    )
    assert graph["stages"][0]["status"] == "paused"
    assert graph["pending_input"] == {
        "id": "abc",
        "message": "Ship?",
        "proceed_text": "Go",
        "parameters": [{"name": "WHO", "type": "StringParameterDefinition", "description": ""}],
    }


def test_jenkinsfile_parameters_merge_and_conflict() -> None:
    text = """pipeline { agent any
      parameters {
        string(name: 'A', defaultValue: 'x') // a comment with parameters { inside }
        choice(name: 'B', choices: ['one', 'two'])
        password(name: 'PW', defaultValue: 'secret')
      }
      stages { stage('s') { steps { echo "${params.A}" } } }
    }"""
    declared = declared_parameters(text)
    assert declared.complete and [p.name for p in declared.parameters] == ["A", "B", "PW"]
    api = (Parameter("B", ParameterType.CHOICE, choices=("one", "three")),)
    merged = with_jenkinsfile_parameters(Pipeline("p", "x", jenkinsfile=text, parameters=api))
    assert [(p.name, p.default) for p in merged.parameters] == [("B", None), ("A", "x"), ("PW", None)]
    assert conflicts(declared.parameters, api) == [
        "parameter 'B' is declared by the Jenkinsfile as choice and by the API as choice with different "
        "choices or default"
    ]
    assert not declared_parameters("pipeline { parameters { string(name: env.X) } }").complete


def test_concurrent_readers_share_one_load_per_interval() -> None:
    clock = [0.0]
    cache = Coalescer(1.0, clock=lambda: clock[0])
    gate = threading.Event()
    loads: list[int] = []

    def load() -> int:
        loads.append(1)
        gate.wait(5)
        return len(loads)

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("k", load))) for _ in range(20)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join()
    assert results == [1] * 20 and len(loads) == 1
    clock[0] = 0.5
    assert cache.get("k", load) == 1, "fresh: served from the cache"
    clock[0] = 1.6
    assert cache.get("k", load) == 2, "stale: one new load"


def test_failures_are_shared_and_cached_for_the_interval() -> None:
    clock = [0.0]
    cache = Coalescer(1.0, clock=lambda: clock[0])
    calls: list[int] = []

    def failing() -> int:
        calls.append(1)
        raise RuntimeError("down")

    for _ in range(3):
        with pytest.raises(RuntimeError):
            cache.get("k", failing)
    assert len(calls) == 1
