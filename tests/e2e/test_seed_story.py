"""The seed story end to end through the public API only, in both attribution modes: clusters rohan,
gondor and shire, workspace ``devops-multicluster``, project ``multicluster-demo`` on gondor, credentials,
the seed's Jenkinsfile verbatim, a run with ``BRANCH_NAME=master`` that pauses twice for approval."""

from __future__ import annotations

import json

import requests

from bridge.bootstrap import Container
from bridge.sandbox.jenkins import SandboxJenkins
from bridge.settings import Settings
from tests.e2e.approvals_support import (
    DOCKER_PASSWORD,
    PIPE,
    PROJECT,
    SONAR_TOKEN,
    attribution,
    declare_story,
    sandbox_jenkins,
    settings,
)
from tests.fixtures.app import ApiClient

__all__ = ["attribution", "sandbox_jenkins", "settings"]  # fixtures, used by name


def _stages(detail: dict[str, object]) -> dict[str, str]:
    return {s["name"]: s["status"] for s in detail["stages"]}  # type: ignore[attr-defined, index]


def test_the_seed_story_pauses_twice_is_approved_by_name_and_succeeds(
    api: ApiClient,
    container: Container,
    settings: Settings,
    sandbox_jenkins: SandboxJenkins,
    attribution: str,
) -> None:
    story = declare_story(api, container, settings, sandbox_jenkins)
    assert {c["cluster"] for c in api.get(f"/api/v1/projects/{PROJECT}/clusters").json["items"]} == {
        "rohan",
        "gondor",
        "shire",
    }
    number = story.start("alice")

    # paused at deploy-to-staging after "deploy to dev" succeeded
    staging = story.wait_input(number, "Deploy-to-staging")
    assert staging["message"] == "deploy to staging?" and staging["started_by"] == "alice"
    assert staging["submitter"] == [] and staging["required"] == 1
    detail = story.run(number)
    assert detail["status"] == "paused"
    assert _stages(detail)["deploy to dev"] == "succeeded"
    assert _stages(detail)["deploy to staging"] == "paused"
    assert "deploy to production" not in _stages(detail)

    # the inbox shows it, approvable for operators and not for the viewer, with the reason
    for who, approvable, reason in (("bob", True, "operator-of-project"), ("vera", False, "not-an-operator")):
        items = story.people[who].get("/api/v1/approvals").json["items"]
        assert [(i["run"], i["id"], i["approvable"], i["reason"]) for i in items] == [
            (number, "Deploy-to-staging", approvable, reason)
        ]

    # a user outside the approvers is refused, and nothing reaches Jenkins
    with story.counting() as seen:
        refused = story.people["vera"].post(f"{PIPE}/runs/{number}/inputs/Deploy-to-staging/approve", {})
    assert refused.status_code == 403, refused.json
    assert seen == []
    assert story.run(number)["status"] == "paused"

    # bob approves (no body at all is fine); the run goes on to pause before production
    r = story.people["bob"].post(f"{PIPE}/runs/{number}/inputs/Deploy-to-staging/approve")
    assert r.status_code == 200, r.json
    assert r.json["state"] == "approved" and r.json["decided_by"] == "bob" and r.json["approvals"] == ["bob"]
    production = story.wait_input(number, "Deploy-to-production")
    assert production["message"] == "deploy to production?"
    assert _stages(story.run(number))["deploy to staging"] == "succeeded"
    r = story.people["carol"].post(
        f"{PIPE}/runs/{number}/inputs/Deploy-to-production/approve", {"comment": "ship it"}
    )
    assert r.status_code == 200, r.json
    assert r.json["decided_by"] == "carol" and r.json["comment"] == "ship it"

    final = story.wait_status(number, "succeeded")
    assert set(_stages(final).values()) == {"succeeded"} and len(final["stages"]) == 8
    assert final["trigger"]["user"] == "alice"
    assert story.people["bob"].get("/api/v1/approvals").json["items"] == []

    # every stage's log is readable, secrets masked
    secrets = [DOCKER_PASSWORD, SONAR_TOKEN, *story.kubeconfigs.values()]
    for stage in final["stages"]:
        log = api.get(f"{PIPE}/runs/{number}/stages/{stage['id']}/log")
        assert log.status_code == 200, stage
        text = log.get_data(as_text=True)
        assert not any(s in text for s in secrets), stage["name"]
        if stage["name"] == "build & push":
            assert "docker login docker.io -u **** --password-stdin" in text

    # the audit log shows both approvals by name
    entries = api.get("/api/v1/audit", query_string={"action": "input.submit"}).json["items"]
    approvals = sorted((e["actor"], e["path"].rsplit("/", 2)[-2], e["outcome"]) for e in entries)
    assert ("bob", "Deploy-to-staging", "success") in approvals
    assert ("carol", "Deploy-to-production", "success") in approvals
    assert ("vera", "Deploy-to-staging", "denied") in approvals

    # the Jenkins build shows the real starter and approvers
    jenkins = requests.Session()
    jenkins.auth = (sandbox_jenkins.admin_user, sandbox_jenkins.admin_token)
    base = f"{sandbox_jenkins.url}job/{PROJECT}/job/build-and-deploy-application/{number}/"
    build = jenkins.get(base + "api/json").json()
    console = jenkins.get(base + "consoleText").text
    if attribution == "user-token":
        causes = [c for a in build["actions"] for c in a.get("causes") or ()]
        assert causes[0]["userId"] == "alice"
        assert "Approved by bob" in console and "Approved by carol" in console
    else:
        parameters = {p["name"]: p["value"] for a in build["actions"] for p in a.get("parameters") or ()}
        assert parameters["BRIDGE_REQUESTED_BY"] == "alice"
        assert "Input Deploy-to-staging approved by bob via jenkins-bridge" in build["description"]
        assert "Input Deploy-to-production approved by carol via jenkins-bridge" in build["description"]
    assert not any(s in console or s in json.dumps(build) for s in secrets)
