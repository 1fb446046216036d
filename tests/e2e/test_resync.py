"""Resync on request through the API and the worker: 202, queued in the store, taken by the next pass
(deep on request), outcome in GET /api/v1/sync; who may ask; a write wakes a running worker at once."""

from __future__ import annotations

from typing import Any

from bridge.bootstrap import run_worker
from bridge.identity.token_store import TokenStore
from tests.e2e.conftest import Stack
from tests.e2e.declare import declare
from tests.fixtures.app import ApiClient
from tests.fixtures.leaks import register_secret
from tests.waiting import wait_until

P = "/api/v1/projects"


def _edit_job_keeping_the_marker(stack: Stack) -> None:
    config = stack.jenkins.get_job_config("demo/build")
    stack.jenkins.reconfig_job("demo/build", config.replace("H 2 * * *", "H 5 * * *"))


def _resyncs(stack: Stack) -> list[dict[str, Any]]:
    response = stack.api.get("/api/v1/sync")
    assert response.status_code == 200, response.json
    resyncs: list[dict[str, Any]] = response.json["resyncs"]
    return resyncs


def test_a_deep_project_resync_repairs_drift_no_event_announced(stack: Stack) -> None:
    declare(stack.api)
    stack.worker.poll()
    _edit_job_keeping_the_marker(stack)
    assert stack.worker.poll() is None  # nothing was written: the poll does not look
    answer = stack.api.post(f"{P}/demo/sync", {"deep": True})
    assert answer.status_code == 202, answer.json
    assert answer.json["status"] == "queued" and answer.json["deep"] is True
    assert answer.json["project"] == "demo" and answer.json["requested_by"] == "bootstrap-admin"
    result = stack.worker.poll()
    assert result is not None and [str(a.ref) for a in result.applied] == ["pipeline demo/build"]
    assert "H 2 * * *" in stack.jenkins.get_job_config("demo/build")
    shown = _resyncs(stack)[0]
    assert shown["id"] == answer.json["id"] and shown["status"] == "done"
    assert shown["message"] == "1 writes, 0 errors" and shown["finished_at"]
    assert stack.worker.poll() is None  # taken once


def test_a_shallow_resync_does_not_read_configs_back(stack: Stack) -> None:
    declare(stack.api)
    stack.worker.poll()
    _edit_job_keeping_the_marker(stack)
    answer = stack.api.post("/api/v1/sync")  # no body: every project, not deep
    assert answer.status_code == 202 and answer.json["project"] is None and answer.json["deep"] is False
    result = stack.worker.poll()
    assert result is not None and result.writes == 0
    assert "H 5 * * *" in stack.jenkins.get_job_config("demo/build")  # only a deep pass sees that edit
    assert _resyncs(stack)[0]["status"] == "done"


def test_who_may_ask_for_a_resync(stack: Stack) -> None:
    declare(stack.api)
    grants = [("vera", "viewer"), ("otto", "operator"), ("ada", "admin")]
    for user, role in grants:
        assert stack.api.post(f"{P}/demo/members", {"subject": user, "role": role}).status_code == 200
    store = TokenStore(stack.container.store.engine)
    client = stack.api.client
    as_: dict[str, ApiClient] = {}
    for user in ("vera", "otto", "ada", "nobody"):
        token = store.create(user=user, groups=(), created_by="test").token
        register_secret(token)
        as_[user] = ApiClient(client, token=token)
    assert as_["vera"].post(f"{P}/demo/sync").status_code == 403
    assert as_["otto"].post(f"{P}/demo/sync").status_code == 403
    assert as_["nobody"].post(f"{P}/demo/sync").status_code == 404  # cannot see the project
    assert as_["ada"].post(f"{P}/demo/sync").status_code == 202
    assert as_["ada"].post("/api/v1/sync").status_code == 403  # every project: platform admins only
    assert stack.api.post(f"{P}/missing/sync").status_code == 404
    unknown = stack.api.post(f"{P}/demo/sync", {"deep": True, "depth": 3})
    assert unknown.status_code == 400 and unknown.headers["Content-Type"] == "application/problem+json"
    audited = stack.api.get(f"{P}/demo/audit")
    assert audited.status_code == 200, audited.json
    entries = {
        (e["actor"], e["outcome"], e["status"]) for e in audited.json["items"] if e["path"].endswith("/sync")
    }
    assert ("ada", "success", 202) in entries and ("vera", "denied", 403) in entries


def test_a_request_wakes_a_running_worker_without_waiting_for_its_poll(stack: Stack) -> None:
    slow = stack.settings.model_copy(
        update={"reconcile": stack.settings.reconcile.model_copy(update={"poll_interval": 3600.0})}
    )
    declare(stack.api)
    handle = run_worker(slow, desired=stack.container.desired, jenkins=stack.container.jenkins, block=False)
    assert handle is not None
    try:
        wait_until(
            lambda: stack.sync("/demo/pipelines/build")["status"] == "synced", timeout=60, what="first pass"
        )
        _edit_job_keeping_the_marker(stack)
        answer = stack.api.post(f"{P}/demo/sync", {"deep": True})
        assert answer.status_code == 202
        wait_until(
            lambda: _resyncs(stack)[0]["status"] == "done",
            timeout=60,
            what="the resync, long before the next poll",
        )
        assert "H 2 * * *" in stack.jenkins.get_job_config("demo/build")
    finally:
        handle.stop()
