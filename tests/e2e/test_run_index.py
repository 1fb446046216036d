"""The run index and run views against the sandbox over HTTP: parameters, the stage graph with parallel
branches and a paused input, stop, rerun, replay, runs started in Jenkins, and Jenkins restarts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bridge.sandbox.jenkins import SandboxJenkins
from bridge.settings import Settings
from tests.e2e.runs_support import GRAPH, RUNS, RunStack, run_settings, sandbox_for_runs
from tests.e2e.runs_support import run_stack as run_stack
from tests.waiting import wait_until


@pytest.fixture
def sandbox_jenkins(sandbox_jenkins_factory: Any) -> SandboxJenkins:
    return sandbox_for_runs(sandbox_jenkins_factory)


@pytest.fixture
def settings(tmp_path: Path, sandbox_jenkins: SandboxJenkins) -> Settings:
    return run_settings(tmp_path, sandbox_jenkins)


def _stages(detail: dict[str, Any]) -> list[tuple[str, str, bool, list[str]]]:
    return [
        (s["name"], s["status"], s["parallel"], [b["name"] for b in s["stages"]]) for s in detail["stages"]
    ]


def test_parameters_are_checked_against_the_api_and_the_jenkinsfile(run_stack: RunStack) -> None:
    otto = run_stack.people["otto"]
    r = otto.post(
        RUNS,
        {"parameters": {"ENV": "staging", "DRY": "maybe", "NOPE": "1", "BRIDGE_REQUESTED_BY": "root"}},
    )
    assert r.status_code == 400 and r.headers["Content-Type"] == "application/problem+json"
    fields = {e["field"]: e["message"] for e in r.json["errors"]}
    assert set(fields) == {
        "parameters.ENV",
        "parameters.DRY",
        "parameters.NOPE",
        "parameters.BRIDGE_REQUESTED_BY",
    }
    assert "one of ['dev', 'prod']" in fields["parameters.ENV"]
    assert "'true' or 'false'" in fields["parameters.DRY"]
    assert "GREETING" in fields["parameters.NOPE"], "the Jenkinsfile's own parameters are known"
    ok = otto.post(RUNS, {"parameters": {"ENV": "prod", "GREETING": "hello"}})
    assert ok.status_code == 202, ok.json
    assert ok.json["status"] == "queued" and ok.json["number"] is None
    assert ok.json["trigger"] == {
        "kind": "user",
        "user": "otto",
        "delivery": None,
        "commit": None,
        "origin": None,
        "note": None,
    }
    assert ok.json["parameters"] == {"ENV": "prod", "GREETING": "hello"}


def test_graph_with_parallel_branches_and_a_paused_input_then_the_finished_run(run_stack: RunStack) -> None:
    api = run_stack.people["vera"]
    queued = run_stack.people["otto"].post(RUNS, {"parameters": {"ENV": "dev"}}).json
    number = run_stack.first_number(queued)
    paused = wait_until(
        lambda: (d := api.get(f"{RUNS}/{number}").json)["status"] == "paused" and d, what="the input to wait"
    )
    assert paused["live"] is True and paused["result"] is None
    assert _stages(paused) == [
        ("build", "succeeded", False, []),
        ("tests", "succeeded", True, ["unit", "e2e"]),
        ("approve", "paused", False, []),
    ]
    assert paused["pending_input"]["message"] == "Ship it?"
    assert paused["pending_input"]["proceed_text"] == "Ship"
    unit = api.get(f"{RUNS}/{number}/stages/unit").json
    assert [(s["name"], s["status"], s.get("description")) for s in unit["steps"]] == [
        ("Print Message", "succeeded", "unit"),
        ("Shell Script", "succeeded", "true"),
    ]
    assert all(s["duration_ms"] >= 0 and s["start_ms"] > 0 for s in unit["steps"])
    assert api.get(f"{RUNS}/{number}/stages/nope").status_code == 404

    run_stack.approve(number)
    done = run_stack.follow_until(number, lambda r: r["status"] == "succeeded", "the run to finish")
    assert done["result"] == "SUCCESS" and done["finished_at"] and done["duration_ms"] is not None
    # a finished run is served from the index: Jenkins is not asked again
    run_stack.sandbox.outage()
    try:
        final = api.get(f"{RUNS}/{number}").json
        steps = api.get(f"{RUNS}/{number}/stages/ship")
    finally:
        run_stack.sandbox.recover()
    assert final["live"] is False and final["status"] == "succeeded" and final["pending_input"] is None
    assert [s["name"] for s in final["stages"]] == ["build", "tests", "approve", "ship"]
    assert steps.status_code == 200 and [s["description"] for s in steps.json["steps"]] == ["shipped"]


def test_stop_and_rerun(run_stack: RunStack) -> None:
    otto = run_stack.people["otto"]
    first = run_stack.first_number(otto.post(RUNS, {"parameters": {"ENV": "prod"}}).json)
    wait_until(lambda: otto.get(f"{RUNS}/{first}").json["status"] == "paused", what="the input to wait")
    assert run_stack.people["vera"].post(f"{RUNS}/{first}/stop", {}).status_code == 403
    r = otto.post(f"{RUNS}/{first}/stop", {})
    assert r.status_code == 202, r.json
    stopped = run_stack.follow_until(first, lambda x: x["status"] == "aborted", "the run to abort")
    assert stopped["result"] == "ABORTED"
    assert otto.post(f"{RUNS}/{first}/stop", {}).status_code == 409, "already finished"
    info = run_stack.session.get(f"{run_stack.sandbox.url}job/demo/job/build/{first}/api/json").json()
    assert "Stopped by otto via jenkins-bridge" in (info["description"] or "")

    again = otto.post(f"{RUNS}/{first}/rerun", {})
    assert again.status_code == 202, again.json
    assert again.json["trigger"]["kind"] == "rerun" and again.json["trigger"]["origin"] == first
    second = run_stack.first_number(again.json)
    assert second == first + 1
    params = run_stack.session.get(f"{run_stack.sandbox.url}job/demo/job/build/{second}/api/json").json()
    values = {p["name"]: p["value"] for a in params["actions"] if a for p in a.get("parameters", [])}
    assert values["ENV"] == "prod" and values["BRIDGE_REQUESTED_BY"] == "otto"
    audit = run_stack.api.get("/api/v1/audit?action=run.stop").json["items"]
    assert [(e["actor"], e["outcome"], e["status"]) for e in audit] == [
        ("otto", "failed", 409),
        ("otto", "success", 202),
        ("vera", "denied", 403),
    ], "newest first"


def test_replay_is_for_admins_and_runs_the_changed_jenkinsfile(run_stack: RunStack) -> None:
    ada = run_stack.people["ada"]
    first = run_stack.first_number(ada.post(RUNS, {}).json)
    wait_until(lambda: ada.get(f"{RUNS}/{first}").json["status"] == "paused", what="the input to wait")
    changed = "pipeline { agent any\n stages { stage('again') { steps { echo 'replayed!' } } } }"
    assert (
        run_stack.people["otto"].post(f"{RUNS}/{first}/replay", {"jenkinsfile": changed}).status_code == 403
    )
    r = ada.post(f"{RUNS}/{first}/replay", {"jenkinsfile": changed})
    assert r.status_code == 202, r.json
    assert r.json["status"] == "queued" and r.json["trigger"]["kind"] == "replay"

    def replayed() -> dict[str, Any] | None:
        run_stack.follower.discover()
        run_stack.follower.follow()
        items = [x for x in ada.get(f"{RUNS}?trigger=replay").json["items"] if x["status"] == "succeeded"]
        return items[0] if items else None

    found = wait_until(replayed, what="the replay to be found and finish", timeout=20)
    assert (
        found["number"] == first + 1
        and found["trigger"]["user"] == "ada"
        and found["trigger"]["origin"] == first
    )
    assert len(ada.get(f"{RUNS}?trigger=replay").json["items"]) == 1, "the API's row was claimed, not doubled"
    detail = ada.get(f"{RUNS}/{found['number']}").json
    assert [s["name"] for s in detail["stages"]] == ["again"]
    s = run_stack.session
    info = s.get(f"{run_stack.sandbox.url}job/demo/job/build/{found['number']}/api/json").json()
    assert "Replayed by ada via jenkins-bridge" in (info["description"] or "")
    causes = [c["_class"] for a in info["actions"] if a for c in a.get("causes", [])]
    assert any(c.endswith("ReplayCause") for c in causes)


def test_runs_started_in_jenkins_are_indexed_and_the_index_outlives_jenkins(run_stack: RunStack) -> None:
    s = run_stack.session
    url = run_stack.sandbox.url
    crumb = s.get(f"{url}crumbIssuer/api/json").json()
    headers = {crumb["crumbRequestField"]: crumb["crumb"]}
    r = s.post(f"{url}job/demo/job/build/buildWithParameters", data={"ENV": "dev"}, headers=headers)
    assert r.status_code == 201, r.text
    api = run_stack.people["vera"]

    def indexed() -> list[dict[str, Any]] | None:
        run_stack.follower.discover()
        return api.get(RUNS).json["items"] or None

    (found,) = wait_until(indexed, what="the run started in Jenkins to be indexed")
    assert found["trigger"]["kind"] == "jenkins" and found["trigger"]["user"] == run_stack.sandbox.admin_user
    assert found["trigger"]["note"] == f"Started by user {run_stack.sandbox.admin_user}"
    assert found["parameters"]["ENV"] == "dev"
    assert run_stack.follower.discover() == 0, "nothing new: nothing indexed twice"
    assert api.get(f"{RUNS}?trigger=user").json["items"] == []
    assert [x["number"] for x in api.get(f"{RUNS}?trigger=jenkins&user=admin").json["items"]] == [1]

    run_stack.sandbox.outage()
    try:
        down = api.get(RUNS)
        detail = api.get(f"{RUNS}/1")
    finally:
        run_stack.sandbox.recover()
    assert down.status_code == 200 and [x["number"] for x in down.json["items"]] == [1]
    assert detail.status_code == 200 and detail.json["live"] is False

    run_stack.sandbox.restart()
    assert [x["number"] for x in api.get(RUNS).json["items"]] == [1]
    run_stack.follow_until(
        1, lambda x: x["status"] == "paused" or x["status"] == "aborted", "the run after restart"
    )


def test_jenkinsfile_parameters_are_in_the_job_before_the_first_run(run_stack: RunStack) -> None:
    url = f"{run_stack.sandbox.url}job/demo/job/build/api/json"
    job = run_stack.session.get(url, params={"tree": "property[parameterDefinitions[name,type]]"}).json()
    names = [d["name"] for p in job["property"] if p for d in p.get("parameterDefinitions", [])]
    assert names == ["ENV", "DRY", "GREETING", "BRIDGE_REQUESTED_BY"]
    shown = run_stack.api.get("/api/v1/projects/demo/pipelines/build").json
    assert [p["name"] for p in shown["jenkinsfile_parameters"]] == ["GREETING"]
    assert shown["parameter_conflicts"] == []

    clash = {
        "name": "clash",
        "jenkinsfile": GRAPH,
        "parameters": [{"name": "GREETING", "type": "choice", "choices": ["hi", "ho"]}],
    }
    created = run_stack.api.post("/api/v1/projects/demo/pipelines", clash)
    assert created.status_code == 201, created.json
    assert created.json["parameter_conflicts"] == [
        "parameter 'GREETING' is declared by the Jenkinsfile as string and by the API as choice"
    ]


def test_cron_runs_are_indexed_and_retention_follows_the_discarder(run_stack: RunStack) -> None:
    api, otto = run_stack.people["vera"], run_stack.people["otto"]

    def cron_runs(count: int) -> Any:
        def look() -> list[dict[str, Any]] | None:
            run_stack.follower.discover()
            items = api.get(f"{RUNS}?trigger=cron").json["items"]
            return items if len(items) == count else None

        return look

    for count in (1, 2):  # one at a time: Jenkins merges identical queued requests
        run_stack.sandbox.fire_trigger("demo/build", "timer")
        found = wait_until(cron_runs(count), what="the timer runs to be indexed")
    assert [(x["number"], x["trigger"]["note"], x["trigger"]["user"]) for x in found] == [
        (2, "Started by timer", None),
        (1, "Started by timer", None),
    ]
    for number in (1, 2):
        wait_until(lambda n=number: otto.get(f"{RUNS}/{n}").json["status"] == "paused", what="the input")
        assert otto.post(f"{RUNS}/{number}/stop", {}).status_code == 202
        run_stack.follow_until(number, lambda x: x["status"] == "aborted", "the run to abort")
    assert [x["number"] for x in api.get(f"{RUNS}?status=aborted").json["items"]] == [2, 1]

    r = run_stack.api.patch("/api/v1/projects/demo/pipelines/build", {"discarder": {"builds": 1}})
    assert r.status_code == 200, r.json
    run_stack.follower.discover()
    assert [x["number"] for x in api.get(RUNS).json["items"]] == [2], "the discarder keeps one run"
