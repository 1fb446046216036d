"""Push deliveries become runs in the sandbox Jenkins, through the real worker job: exactly one run per
matching delivery, after an outage and across a restart of the bridge; the trigger's parameters reach
the build."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import jenkins as pyjenkins
import pytest

from bridge.bootstrap import DEFAULT_CONTROLLER, build_dispatcher, run_worker
from bridge.sandbox.jenkins import SandboxJenkins
from bridge.sandbox.jenkins.buildstate import SIMULATION
from bridge.sandbox.jenkins.pipeline import Simulation
from bridge.services.deliveries import DispatchResult
from bridge.settings import Settings
from bridge.store.unit import utcnow
from tests.e2e.conftest import P, Stack, jenkins_env
from tests.fixtures.app import make_settings
from tests.fixtures.leaks import register_secret
from tests.waiting import wait_until
from tests.webhooks.samples import SECRET, load

SCRIPT = "pipeline { agent any\n stages { stage('a') { steps { echo \"on ${params.BRANCH_NAME}\" } } } }"


@pytest.fixture
def sandbox_jenkins(sandbox_jenkins_factory: Any) -> SandboxJenkins:
    j: SandboxJenkins = sandbox_jenkins_factory()
    j.services[SIMULATION] = Simulation(time_scale=0)
    return j


@pytest.fixture
def settings(tmp_path: Path, sandbox_jenkins: SandboxJenkins) -> Settings:
    register_secret(sandbox_jenkins.admin_token, sandbox_jenkins.admin_password, SECRET)
    return make_settings(
        tmp_path,
        BRIDGE_WEBHOOKS_RETRY_BASE="0",  # retry at once: the test drives the passes
        BRIDGE_WEBHOOKS_RATE_LIMIT="0",
        **jenkins_env(sandbox_jenkins),
    )


@pytest.fixture
def app_pipeline(stack: Stack) -> Stack:
    api = stack.api
    assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    assert api.post(P, {"name": "demo", "workspace": "ws"}).status_code == 201
    body = {
        "name": "app",
        "jenkinsfile": SCRIPT,
        "parameters": [{"name": "BRANCH_NAME", "default": "none"}, {"name": "ENV", "default": "dev"}],
        "webhook": {
            "repo_url": "git@github.com:acme/widget.git",
            "secret": SECRET,
            "tags": {"include": ["v*"]},
            "parameters": {"ENV": "staging"},
        },
    }
    assert api.post(f"{P}/demo/pipelines", body).status_code == 201
    stack.worker.poll()
    assert stack.sync("/demo/pipelines/app")["status"] == "synced"
    return stack


def deliver(stack: Stack, delivery_id: str, ref: str = "refs/heads/main", commit: str | None = None) -> Any:
    """A signed GitHub push; each delivery id its own commit unless ``commit`` says otherwise."""
    s = load("github-push")
    sha = commit or hashlib.sha1(delivery_id.encode()).hexdigest()
    doc = s.doc()
    doc |= {"ref": ref, "after": sha, "head_commit": doc["head_commit"] | {"id": sha}}
    s = s.with_body(doc).with_headers(X_GitHub_Delivery=delivery_id)
    response = stack.api.client.post("/webhooks/github", data=s.body, headers=s.headers)
    assert response.status_code == 202, response.json
    return response.json


def builds(stack: Stack, n: int) -> list[dict[str, Any]]:
    """Wait for ``n`` finished builds of demo/app (and an empty queue); their infos, oldest first."""

    def done() -> list[dict[str, Any]] | None:
        info = stack.jenkins.get_job_info("demo/app")
        numbers = sorted(b["number"] for b in info["builds"])
        if len(numbers) < n or info.get("inQueue"):
            return None
        found = [stack.jenkins.get_build_info("demo/app", x) for x in numbers]
        return found if all(b.get("result") for b in found) else None

    return wait_until(done, what=f"{n} finished builds", retry_on=(pyjenkins.JenkinsException,))


def parameters(build: dict[str, Any]) -> dict[str, str]:
    (action,) = [a for a in build["actions"] if a and a.get("_class", "").endswith("ParametersAction")]
    return {p["name"]: p["value"] for p in action["parameters"]}


def rows(stack: Stack) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = stack.api.get(f"{P}/demo/webhook-deliveries?limit=500").json["items"]
    return items


def test_a_push_starts_one_run_with_the_branch_and_fixed_parameters(app_pipeline: Stack) -> None:
    stack = app_pipeline
    dispatcher = build_dispatcher(
        stack.settings, stack.container.store, stack.container.connections[DEFAULT_CONTROLLER]
    )
    deliver(stack, "one")
    deliver(stack, "one")  # the provider re-sent it
    deliver(stack, "tag", "refs/tags/v2.0")
    result = stack.worker.dispatch()  # the worker's own job, as the scheduler runs it
    assert isinstance(result, DispatchResult) and result.started == 2
    [first, second] = builds(stack, 2)
    seen = sorted(parameters(b)["BRANCH_NAME"] for b in (first, second))
    assert seen == ["main", "v2.0"]
    assert {parameters(b)["ENV"] for b in (first, second)} == {"staging"}
    requested = sorted(parameters(b)["BRIDGE_REQUESTED_BY"] for b in (first, second))
    sha = {d: hashlib.sha1(d.encode()).hexdigest()[:12] for d in ("one", "tag")}
    assert requested == [
        f"webhook:github:danadev delivery=one commit={sha['one']}",
        f"webhook:github:danadev delivery=tag commit={sha['tag']}",
    ]
    listed = rows(stack)
    assert [r["status"] for r in listed] == ["started", "started"]
    assert all(len(r["runs"]) == 1 and r["attempts"] == 1 for r in listed)
    assert dispatcher.run().started == 0  # nothing left, nothing twice
    assert stack.jenkins.get_job_info("demo/app")["nextBuildNumber"] == 3


def test_the_running_worker_starts_deliveries_over_the_controllers_one_connection(
    app_pipeline: Stack,
) -> None:
    """``serve --with-worker``: the scheduler's ``webhooks`` job starts the run by itself, through the
    container's connection to the default controller (no second session to the same Jenkins)."""
    stack = app_pipeline
    connection = stack.container.connections[DEFAULT_CONTROLLER]
    forms = connection.operations.snapshot().get("form", 0)
    handle = run_worker(
        stack.settings, desired=stack.container.desired, jenkins=stack.container.jenkins, block=False
    )
    assert handle is not None
    try:
        deliver(stack, "scheduled")
        wait_until(lambda: [r["status"] for r in rows(stack)] == ["started"], what="the delivery started")
    finally:
        handle.stop()
    builds(stack, 1)
    assert connection.operations.snapshot().get("form", 0) == forms + 1  # the run's buildWithParameters


def test_a_commit_already_run_for_a_ref_is_not_run_again(app_pipeline: Stack) -> None:
    """Gitea's "Redeliver" sends a new delivery id for the same push: same ref and commit, no new run."""
    stack = app_pipeline
    deliver(stack, "first", commit="a" * 40)
    assert stack.worker.dispatch().started == 1  # type: ignore[attr-defined]
    deliver(stack, "replayed-with-a-new-id", commit="a" * 40)
    deliver(stack, "another-branch", ref="refs/heads/dev", commit="a" * 40)
    result = stack.worker.dispatch()
    assert isinstance(result, DispatchResult) and result.started == 1
    builds(stack, 2)
    [dev, replayed, first] = rows(stack)
    assert replayed["status"] == "ignored" and f"delivery {first['id']}" in replayed["error"]
    assert dev["status"] == "started" and first["status"] == "started"


def test_deliveries_during_an_outage_all_run_once_after_it_even_across_a_restart(app_pipeline: Stack) -> None:
    stack = app_pipeline
    stack.sandbox.outage()
    dispatcher = build_dispatcher(
        stack.settings, stack.container.store, stack.container.connections[DEFAULT_CONTROLLER]
    )
    for i in range(6):
        deliver(stack, f"d-{i}")
    deliver(stack, "d-0")  # a duplicate during the outage
    first = dispatcher.run()
    assert first.started == 0 and first.retried == 1, "one failed request per pass, not one per delivery"
    assert {r["status"] for r in rows(stack)} == {"queued"}
    assert any(r["attempts"] == 1 and "Jenkins" in (r["error"] or "") for r in rows(stack))

    # the bridge restarts: a new store and a new dispatcher, nothing kept but the database
    stack.container.store.close()
    from bridge.store import Store

    store = Store.from_settings(stack.settings)
    restarted = build_dispatcher(stack.settings, store, stack.container.connections[DEFAULT_CONTROLLER])
    assert restarted.run().started == 0
    stack.sandbox.recover()
    total = 0
    while (started := restarted.run().started) > 0:
        total += started
    assert total == 6
    found = builds(stack, 6)
    assert sorted(parameters(b)["BRANCH_NAME"] for b in found) == ["main"] * 6
    assert restarted.run().started == 0
    assert stack.jenkins.get_job_info("demo/app")["nextBuildNumber"] == 7, "exactly one run per delivery"
    assert {r["status"] for r in rows(stack)} == {"started"}
    assert len(rows(stack)) == 6


def test_a_delivery_past_its_age_fails_visibly_and_can_be_redelivered(app_pipeline: Stack) -> None:
    stack = app_pipeline
    stack.sandbox.outage()
    dispatcher = build_dispatcher(
        stack.settings, stack.container.store, stack.container.connections[DEFAULT_CONTROLLER]
    )
    deliver(stack, "old")
    dispatcher.run()
    later = utcnow() + timedelta(seconds=stack.settings.webhooks.max_age + 60)
    dispatcher.clock = lambda: later
    assert dispatcher.run().failed == 1
    [row] = rows(stack)
    assert row["status"] == "failed" and "gave up after 2 attempts" in row["error"]
    stack.sandbox.recover()
    dispatcher.clock = utcnow
    assert dispatcher.run().started == 0  # failed stays failed
    redone = stack.api.post(f"{P}/demo/webhook-deliveries/{row['id']}/redeliver")
    assert redone.status_code == 202 and redone.json["status"] == "queued"
    assert dispatcher.run().started == 1
    builds(stack, 1)
    assert rows(stack)[0]["status"] == "started"


def test_deliveries_wait_for_the_pipeline_to_reach_jenkins(stack: Stack) -> None:
    api = stack.api
    assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    assert api.post(P, {"name": "demo", "workspace": "ws"}).status_code == 201
    body = {
        "name": "app",
        "jenkinsfile": SCRIPT,
        "parameters": [{"name": "BRANCH_NAME"}],
        "webhook": {"repo_url": "https://github.com/acme/widget", "secret": SECRET},
    }
    assert api.post(f"{P}/demo/pipelines", body).status_code == 201
    dispatcher = build_dispatcher(
        stack.settings, stack.container.store, stack.container.connections[DEFAULT_CONTROLLER]
    )
    deliver(stack, "early")
    assert dispatcher.run().waiting == 1
    [row] = rows(stack)
    assert row["attempts"] == 0 and "reach Jenkins" in row["error"]
    stack.worker.poll()
    dispatcher.clock = lambda: utcnow() + timedelta(seconds=5)
    assert dispatcher.run().started == 1
    builds(stack, 1)
