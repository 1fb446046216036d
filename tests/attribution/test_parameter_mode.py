"""``parameter`` attribution: the service account acts; the bridge names the requester, checks submitters."""

from __future__ import annotations

import pytest

from bridge.adapters.jenkins.errors import InputRefused
from bridge.adapters.jenkins.runs import JenkinsRuns
from bridge.errors import NotFound
from tests.attribution.conftest import (
    actions,
    actor,
    admin_session,
    build_json,
    console,
    create_pipeline,
    finished,
    service_adapter,
    waiting_at_input,
)

DECLARATIVE = """
pipeline {
  agent any
  parameters { string(name: 'TARGET', defaultValue: 'dev'); booleanParam(name: 'DRY', defaultValue: true) }
  stages { stage('show') { steps { echo "target=${params.TARGET} by=${params.BRIDGE_REQUESTED_BY}" } } }
}
"""


def _parameters(build: dict) -> dict[str, object]:  # type: ignore[type-arg]
    (action,) = actions(build, "ParametersAction")
    return {p["name"]: p["value"] for p in action["parameters"]}


def _definitions(j, job: str = "app") -> list[str]:  # type: ignore[no-untyped-def]
    data = admin_session(j).get(
        f"{j.url}job/{job}/api/json", params={"tree": "property[parameterDefinitions[name]]"}
    )
    return [d["name"] for p in data.json()["property"] if p for d in p.get("parameterDefinitions", [])]


def test_run_carries_the_requester_parameter_which_the_caller_cannot_spoof(start_jenkins) -> None:  # type: ignore[no-untyped-def]
    j = start_jenkins()
    create_pipeline(j, requested_by=True)
    runs = JenkinsRuns(service_adapter(j))
    spoofed = {"TARGET": "prod", "BRIDGE_REQUESTED_BY": "mallory"}
    queued = runs.trigger_run("app", spoofed, actor("alice"))
    assert queued.url.endswith(f"/queue/item/{queued.number}/")
    waiting_at_input(j, 1)
    build = build_json(j, 1)
    assert _parameters(build) == {"TARGET": "prod", "BRIDGE_REQUESTED_BY": "alice"}
    (cause,) = actions(build, "CauseAction")[0]["causes"]
    assert cause["userId"] == "admin"  # the limit of this mode: Jenkins only knows the service account


def test_requester_parameter_survives_a_declarative_parameters_directive(start_jenkins) -> None:  # type: ignore[no-untyped-def]
    j = start_jenkins()
    create_pipeline(j, requested_by=True, script=DECLARATIVE)
    assert _definitions(j) == ["TARGET", "BRIDGE_REQUESTED_BY"]
    runs = JenkinsRuns(service_adapter(j))
    for number, user in enumerate(["alice", "bob"], start=1):
        runs.trigger_run("app", {"TARGET": "qa"}, actor(user))
        build = finished(j, number)
        assert _parameters(build)["BRIDGE_REQUESTED_BY"] == user
        assert f"target=qa by={user}" in console(j, number)
    # Jenkinsfile parameters first, then those defined outside it (DeclarativeJobPropertyTrackerAction).
    assert _definitions(j) == ["TARGET", "DRY", "BRIDGE_REQUESTED_BY"]


def test_non_submitter_is_refused_by_the_bridge_before_jenkins_is_called(start_jenkins) -> None:  # type: ignore[no-untyped-def]
    j = start_jenkins()
    create_pipeline(j, requested_by=True)
    service = service_adapter(j)
    runs = JenkinsRuns(service)
    runs.trigger_run("app", {}, actor("alice"))
    waiting_at_input(j, 1)
    posts = service.counter.snapshot().get("POST", 0)
    with pytest.raises(InputRefused) as refused:
        runs.proceed_input("app", 1, "Ship", {}, actor("alice"))
    assert refused.value.status == 403 and "bob, deployers" in refused.value.detail
    assert service.counter.snapshot().get("POST", 0) == posts  # nothing was sent to Jenkins
    assert waiting_at_input(j, 1)
    with pytest.raises(NotFound):
        runs.proceed_input("app", 1, "Other", {}, actor("bob"))


def test_submitter_by_group_approves_and_the_run_description_names_them(start_jenkins) -> None:  # type: ignore[no-untyped-def]
    j = start_jenkins()
    create_pipeline(j, requested_by=True)
    runs = JenkinsRuns(service_adapter(j))
    runs.trigger_run("app", {}, actor("alice"))
    waiting_at_input(j, 1)
    runs.proceed_input("app", 1, "Ship", {}, actor("dave", "deployers"))
    build = finished(j, 1)
    assert build["result"] == "SUCCESS"
    assert build["description"] == "Input Ship approved by dave via jenkins-bridge (request req-dave)"
    assert [a["userId"] for a in actions(build, "ApproverAction")] == ["admin"]  # Jenkins's own record


def test_rejection_by_an_operator_is_noted_after_the_existing_description(start_jenkins) -> None:  # type: ignore[no-untyped-def]
    j = start_jenkins()
    create_pipeline(j, requested_by=True)
    runs = JenkinsRuns(service_adapter(j))
    runs.trigger_run("app", {}, actor("alice"))
    waiting_at_input(j, 1)
    admin_session(j).post(f"{j.url}job/app/1/submitDescription", data={"description": "release 1.2"})
    runs.abort_input("app", 1, "Ship", actor("carol"))  # Job/Cancel suffices in Jenkins too
    build = finished(j, 1)
    assert build["result"] == "ABORTED"
    assert build["description"] == (
        "release 1.2\nInput Ship rejected by carol via jenkins-bridge (request req-carol)"
    )
