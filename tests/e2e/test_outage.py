"""Outage through the full stack: API writes while Jenkins is down succeed and show ``pending``; after
recovery every create, update and delete is applied, none lost."""

from __future__ import annotations

import defusedxml.ElementTree as SafeET

from bridge.clock import ManualClock
from bridge.reconcile.backoff import Backoff
from tests.e2e.conftest import P, Stack
from tests.e2e.declare import declare


def test_writes_during_an_outage_are_applied_after_it(stack: Stack) -> None:
    clock = ManualClock()
    stack.worker.backoff = Backoff(initial=2.0, maximum=60.0, clock=clock, jitter=lambda: 1.0)
    declare(stack.api)
    stack.worker.poll()
    api, j = stack.api, stack.jenkins
    stack.sandbox.outage()

    created = api.post(f"{P}/demo/pipelines", {"name": "late", "jenkinsfile": "echo late"})
    assert created.status_code == 201 and created.json["sync"]["status"] == "pending"
    project = api.post(P, {"name": "fresh", "workspace": "ws"})
    assert project.status_code == 201 and project.json["sync"]["status"] == "pending"
    cred = api.post(
        f"{P}/fresh/credentials", {"id": "k", "type": "secret-text", "data": {"secret": "e2e-outage-secret"}}
    )
    assert cred.status_code == 201
    updated = api.patch(f"{P}/demo/pipelines/build", {"cron": "H 4 * * *"})
    assert updated.status_code == 200 and updated.json["sync"]["status"] == "pending"
    renamed = api.patch(f"{P}/demo/credentials/git", {"data": {"username": "robot"}})
    assert renamed.status_code == 200 and renamed.json["sync"]["status"] == "pending"
    assert api.delete(f"{P}/demo/credentials/token").status_code == 202
    assert api.delete(f"{P}/demo/pipelines/app").status_code == 202

    result = stack.worker.poll()  # Jenkins is down: nothing applied, nothing lost
    assert result is not None and result.writes == 0 and result.retry == {"demo", "fresh"}
    for path in ("/demo/pipelines/late", "/demo/pipelines/build", "/fresh", "/fresh/credentials/k"):
        state = stack.sync(path)
        assert state["status"] == "pending" and "waiting for Jenkins" in state["message"], path
    assert api.get("/api/v1/sync").json["tombstones"] == 2
    ready = api.get("/readyz")
    assert ready.status_code == 200  # the API stays ready; Jenkins is only reported

    stack.sandbox.recover()
    first = stack.worker.poll()  # Jenkins validated demo/late now: new work for demo, not for fresh
    assert first is not None and {a.ref.project for a in first.actions} == {"demo"}
    assert stack.sync("/fresh")["status"] == "pending"  # waiting for its backoff, not every poll
    clock.advance(2.0)
    assert stack.worker.poll() is not None  # the projects left over are retried without new events
    for path in ("/demo/pipelines/late", "/demo/pipelines/build", "/fresh", "/fresh/credentials/k"):
        assert stack.sync(path)["status"] == "synced", path
    assert j.job_exists("demo/late") and j.job_exists("fresh")
    build = SafeET.fromstring(j.get_job_config("demo/build").encode())
    assert build.findtext(".//hudson.triggers.TimerTrigger/spec") == "H 4 * * *"
    assert stack.sandbox_credential("demo", "git") == {
        **stack.sandbox_credential("demo", "git"),
        "username": "robot",
        "password": "e2e-pw-basic-1",
    }
    assert stack.sandbox_credential("fresh", "k")["secret"] == "e2e-outage-secret"
    assert not j.credential_exists("token", "demo") and not j.job_exists("demo/app")
    summary = api.get("/api/v1/sync").json
    assert summary["tombstones"] == 0 and summary["queued"] == 0 and summary["errors"] == []
    assert stack.worker.resync().writes == 0


def test_a_project_deleted_during_an_outage_is_removed_after_it(stack: Stack) -> None:
    clock = ManualClock()
    stack.worker.backoff = Backoff(initial=2.0, maximum=60.0, clock=clock, jitter=lambda: 1.0)
    declare(stack.api)
    stack.worker.poll()
    stack.sandbox.outage()
    deleted = stack.api.delete(f"{P}/demo")
    assert deleted.status_code == 202 and deleted.json["status"] == "deleting"
    stack.worker.poll()
    assert stack.api.get("/api/v1/sync").json["tombstones"] == 1  # kept until Jenkins is back
    stack.sandbox.recover()
    assert stack.worker.poll() is None  # retried after its backoff, not at every poll
    clock.advance(2.0)
    stack.worker.poll()
    assert not stack.jenkins.job_exists("demo")
    assert stack.api.get("/api/v1/sync").json["tombstones"] == 0
