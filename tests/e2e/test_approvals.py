"""Approval rules through the public API against the sandbox Jenkins over HTTP: the submitter list (users
and groups, case-insensitive), reject, separation of duties, N approvals, expiry by the worker, the inbox
across projects, and the ``approvable`` reasons."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import requests

from bridge.bootstrap import Container
from bridge.identity.token_store import TokenStore
from bridge.sandbox.jenkins import SandboxJenkins
from bridge.services.approval_jobs import ApprovalJobs
from bridge.settings import Settings
from tests.e2e.approvals_support import (
    PROJECT,
    USERS,
    WORKSPACE,
    Story,
    add_pipeline,
    attribution,
    declare_story,
    gate,
    sandbox_jenkins,
    settings,
)
from tests.e2e.conftest import P
from tests.fixtures.app import ApiClient
from tests.fixtures.leaks import register_secret
from tests.waiting import wait_until

__all__ = ["attribution", "sandbox_jenkins", "settings"]  # fixtures, used by name


@pytest.fixture
def story(api: ApiClient, container: Container, settings: Settings, sandbox_jenkins: SandboxJenkins) -> Story:
    return declare_story(api, container, settings, sandbox_jenkins, jenkinsfile=gate())


def _build(story: Story, path: str, number: int) -> dict[str, object]:
    s = requests.Session()
    s.auth = (story.sandbox.admin_user, story.sandbox.admin_token)
    job = path.split("/api/v1/projects/", 1)[1].replace("/pipelines/", "/job/")
    base = f"{story.sandbox.url}job/{job}/{number}/"
    info: dict[str, object] = s.get(base + "api/json").json()
    info["console"] = s.get(base + "consoleText").text
    return info


def test_the_submitter_list_names_users_and_groups_case_insensitively_and_jenkins_agrees(
    story: Story, container: Container, attribution: str
) -> None:
    path = add_pipeline(story, "guarded", gate("Dave, release-managers"))
    number = story.start("alice", path)
    pending = story.wait_input(number, "Ship", path)
    assert pending["submitter"] == ["Dave", "release-managers"]

    # bob operates the project but is not listed: greyed out, and refused before Jenkins is asked
    bob = story.people["bob"].get(f"{path}/runs/{number}/inputs").json["items"][0]
    assert (bob["approvable"], bob["reason"]) == (False, "not-a-submitter")
    assert "Dave, release-managers" in bob["reason_text"]
    with story.counting() as seen:
        r = story.people["bob"].post(f"{path}/runs/{number}/inputs/Ship/approve", {})
    assert r.status_code == 403 and "not-a-submitter" not in r.json["detail"], r.json
    assert "only Dave, release-managers may approve" in r.json["detail"]
    assert seen == []

    # carol is in the group Release-Managers (another case); her token says so, as her Jenkins user does
    token = TokenStore(container.store.engine).create(
        user="carol", groups=("Release-Managers",), created_by="t"
    )
    register_secret(token.token)
    carol = ApiClient(story.api.client, token=token.token)
    mine = carol.get(f"{path}/runs/{number}/inputs").json["items"][0]
    assert (mine["approvable"], mine["reason"]) == (True, "listed-as-submitter")
    r = carol.post(f"{path}/runs/{number}/inputs/Ship/approve", {})
    assert r.status_code == 200, r.json
    story.wait_status(number, "succeeded", path)
    build = _build(story, path, number)
    if attribution == "user-token":
        assert "Approved by carol" in str(build["console"])
    else:
        assert "Input Ship approved by carol via jenkins-bridge" in str(build["description"])


@pytest.mark.parametrize("attribution", ["parameter"])
def test_reject_aborts_the_run_records_who_and_why(story: Story, api: ApiClient) -> None:
    from tests.e2e.approvals_support import PIPE

    number = story.start("alice")
    story.wait_input(number, "Ship")
    r = story.people["bob"].post(f"{PIPE}/runs/{number}/inputs/Ship/reject", {"comment": "not today"})
    assert r.status_code == 200, r.json
    assert (r.json["state"], r.json["decided_by"], r.json["comment"]) == ("rejected", "bob", "not today")
    story.wait_status(number, "aborted")
    assert "Input Ship rejected by bob via jenkins-bridge" in str(_build(story, PIPE, number)["description"])
    # decided: a second decision is a conflict, and the viewer may not decide at all
    assert story.people["carol"].post(f"{PIPE}/runs/{number}/inputs/Ship/approve").status_code == 409
    assert story.people["vera"].post(f"{PIPE}/runs/{number}/inputs/Ship/reject").status_code == 403
    entries = api.get("/api/v1/audit", query_string={"action": "input.submit", "user": "bob"}).json["items"]
    assert [e["path"].rsplit("/", 1)[-1] for e in entries] == ["reject"]
    assert story.people["bob"].get(f"{PIPE}/runs/{number}/inputs").json["items"][0]["state"] == "rejected"


@pytest.mark.parametrize("attribution", ["parameter"])
def test_separation_of_duties_keeps_the_starter_from_approving(story: Story) -> None:
    rules = {"separation_of_duties": True}
    path = add_pipeline(story, "separated", gate(), approvals=rules)
    assert story.api.get(path).json["approvals"] == {**rules, "expiry_hours": None, "required": 1}
    number = story.start("alice", path)
    story.wait_input(number, "Ship", path)
    mine = story.people["alice"].get(f"{path}/runs/{number}/inputs").json["items"][0]
    assert (mine["approvable"], mine["reason"]) == (False, "started-the-run")
    with story.counting() as seen:
        r = story.people["alice"].post(f"{path}/runs/{number}/inputs/Ship/approve")
    assert r.status_code == 403 and "you started this run" in r.json["detail"]
    assert seen == []
    assert story.people["bob"].post(f"{path}/runs/{number}/inputs/Ship/approve").status_code == 200
    story.wait_status(number, "succeeded", path)


def test_two_required_approvals_proceed_only_with_the_second_distinct_approver(
    story: Story, attribution: str
) -> None:
    path = add_pipeline(story, "two-keys", gate(), approvals={"required": 2})
    number = story.start("alice", path)
    story.wait_input(number, "Ship", path)
    with story.counting() as seen:
        first = story.people["bob"].post(f"{path}/runs/{number}/inputs/Ship/approve", {"comment": "lgtm"})
    assert first.status_code == 202, first.json
    assert (first.json["state"], first.json["approvals"], first.json["required"]) == ("waiting", ["bob"], 2)
    assert not [s for s in seen if not s.startswith("GET")], "a partial approval writes nothing to Jenkins"
    again = story.people["bob"].post(f"{path}/runs/{number}/inputs/Ship/approve")
    assert again.status_code == 403 and "approved already" in again.json["detail"]
    story.tick()
    assert story.run(number, path)["status"] == "paused"
    inbox = story.people["bob"].get("/api/v1/approvals").json["items"]
    assert [(i["approvals"], i["approvable"], i["reason"]) for i in inbox] == [
        (["bob"], False, "already-approved")
    ]
    second = story.people["alice"].post(f"{path}/runs/{number}/inputs/Ship/approve")
    assert second.status_code == 200, second.json
    assert (second.json["state"], second.json["approvals"]) == ("approved", ["bob", "alice"])
    story.wait_status(number, "succeeded", path)
    build = _build(story, path, number)
    assert "Input Ship also approved by bob via jenkins-bridge" in str(build["description"])
    if attribution == "user-token":
        assert "Approved by alice" in str(build["console"])
    else:
        assert "Input Ship approved by alice via jenkins-bridge" in str(build["description"])


@pytest.mark.parametrize("attribution", ["parameter"])
def test_the_worker_rejects_an_input_waiting_longer_than_its_expiry_and_audits_it(
    story: Story, api: ApiClient
) -> None:
    path = add_pipeline(story, "hurry", gate(), approvals={"expiry_hours": 2})
    number = story.start("alice", path)
    pending = story.wait_input(number, "Ship", path)
    since = datetime.fromisoformat(pending["since"])
    assert datetime.fromisoformat(pending["expires_at"]) == since + timedelta(hours=2)
    soon = ApprovalJobs(story.jobs.service, story.jobs.notifier, clock=lambda: since + timedelta(hours=1))
    assert soon.run().expired == 0
    late = ApprovalJobs(
        story.jobs.service, story.jobs.notifier, clock=lambda: since + timedelta(hours=2, seconds=1)
    )
    assert late.run().expired == 1
    story.wait_status(number, "aborted", path)
    item = api.get(f"{path}/runs/{number}/inputs").json["items"][0]
    assert item["state"] == "expired" and "expired after 2 hours" in item["comment"]
    assert "expired after 2 hours without a decision" in str(_build(story, path, number)["description"])
    audit = api.get("/api/v1/audit", query_string={"action": "input.expire"}).json["items"]
    assert [(e["actor"], e["project"]) for e in audit] == [("jenkins-bridge", PROJECT)]
    assert late.run().expired == 0  # once


@pytest.mark.parametrize("attribution", ["parameter"])
def test_the_inbox_spans_the_callers_projects_and_never_a_third(story: Story, api: ApiClient) -> None:
    for project in ("second", "third"):
        assert api.post(P, {"name": project, "workspace": WORKSPACE}).status_code == 201
        for user, role in USERS.items():
            assert api.post(f"{P}/{project}/members", {"subject": user, "role": role}).status_code == 200
    # dave: operator of the seed project, viewer of "second", nothing on "third"
    assert api.post(f"{P}/{PROJECT}/members", {"subject": "dave", "role": "operator"}).status_code == 200
    assert api.post(f"{P}/second/members", {"subject": "dave", "role": "viewer"}).status_code == 200
    paths = {project: add_pipeline(story, "gate", gate(), project=project) for project in ("second", "third")}
    paths[PROJECT] = add_pipeline(story, "gate", gate())
    numbers = {project: story.start("alice", path) for project, path in paths.items()}
    for project, path in paths.items():
        story.wait_input(numbers[project], "Ship", path)

    token = TokenStore(story.container.store.engine).create(user="dave", groups=(), created_by="t").token
    register_secret(token)
    dave = ApiClient(story.api.client, token=token)
    items = dave.get("/api/v1/approvals").json["items"]
    assert sorted((i["project"], i["approvable"], i["reason"]) for i in items) == [
        (PROJECT, True, "operator-of-project"),
        ("second", False, "not-an-operator"),
    ]
    # paged one by one, filtered by project or by approvability
    first = dave.get("/api/v1/approvals?limit=1").json
    rest = dave.get(f"/api/v1/approvals?limit=1&continue={first['continue']}").json
    assert len(first["items"]) == len(rest["items"]) == 1 and rest["continue"] is None
    assert {first["items"][0]["project"], rest["items"][0]["project"]} == {PROJECT, "second"}
    assert [i["project"] for i in dave.get("/api/v1/approvals?approvable=true").json["items"]] == [PROJECT]
    assert dave.get("/api/v1/approvals?project=third").json["items"] == []
    # nor can dave see or decide the third project's input
    assert dave.get(f"{paths['third']}/runs/{numbers['third']}/inputs").status_code == 404
    assert dave.post(f"{paths['third']}/runs/{numbers['third']}/inputs/Ship/approve").status_code == 404
    assert dave.post(f"{paths['second']}/runs/{numbers['second']}/inputs/Ship/approve").status_code == 403
    # the admin sees all three
    assert {i["project"] for i in api.get("/api/v1/approvals").json["items"]} == {PROJECT, "second", "third"}


@pytest.mark.parametrize("attribution", ["parameter"])
def test_approving_unknown_inputs_or_parameters_is_a_clear_4xx(story: Story) -> None:
    from tests.e2e.approvals_support import PIPE

    number = story.start("alice")
    story.wait_input(number, "Ship")
    bob = story.people["bob"]
    assert bob.post(f"{PIPE}/runs/{number}/inputs/Nope/approve").status_code == 404
    r = bob.post(f"{PIPE}/runs/{number}/inputs/Ship/approve", {"parameters": {"X": "1"}})
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "parameters.X", r.json
    assert bob.post(f"{PIPE}/runs/{number}/inputs/Ship/approve", {"bogus": 1}).status_code == 400
    assert bob.post(f"{PIPE}/runs/{number + 5}/inputs/Ship/approve").status_code == 404
    assert story.run(number)["status"] == "paused"


@pytest.mark.parametrize("attribution", ["parameter"])
def test_with_jenkins_down_inputs_and_the_inbox_still_answer_and_a_decision_is_a_503(story: Story) -> None:
    from tests.e2e.approvals_support import PIPE

    number = story.start("alice")
    story.wait_input(number, "Ship")
    story.sandbox.outage()
    try:
        bob = story.people["bob"]
        listed = bob.get(f"{PIPE}/runs/{number}/inputs")
        assert listed.status_code == 200, listed.json
        assert [(i["id"], i["state"], i["approvable"]) for i in listed.json["items"]] == [
            ("Ship", "waiting", True)
        ]
        assert [i["id"] for i in bob.get("/api/v1/approvals").json["items"]] == ["Ship"]
        assert bob.post(f"{PIPE}/runs/{number}/inputs/Ship/approve").status_code == 503
    finally:
        story.sandbox.recover()
    assert story.people["bob"].post(f"{PIPE}/runs/{number}/inputs/Ship/approve").status_code == 200
    story.wait_status(number, "succeeded")


@pytest.mark.parametrize("attribution", ["parameter"])
def test_an_input_answered_in_jenkins_itself_is_closed_as_gone(story: Story) -> None:
    from tests.e2e.approvals_support import PIPE

    number = story.start("alice")
    story.wait_input(number, "Ship")
    s = requests.Session()
    s.auth = (story.sandbox.admin_user, story.sandbox.admin_token)
    base = f"{story.sandbox.url}job/{PROJECT}/job/build-and-deploy-application/{number}/"
    assert s.post(base + "input/Ship/proceedEmpty").status_code == 200
    story.wait_status(number, "succeeded")

    def closed() -> dict[str, object] | None:
        story.tick()  # the worker notices (Jenkins's answer may be cached for a moment)
        item: dict[str, object] = story.api.get(f"{PIPE}/runs/{number}/inputs").json["items"][0]
        return item if item["state"] != "waiting" else None

    item = wait_until(closed, what="the input to be closed", timeout=10)
    assert (item["state"], item["decided_by"], item["approvable"]) == ("gone", None, False)
    assert story.api.get("/api/v1/approvals").json["items"] == []
    assert story.people["bob"].post(f"{PIPE}/runs/{number}/inputs/Ship/approve").status_code == 409
