"""A real push to a real Gitea: Gitea's own signed delivery reaches the bridge over HTTP, the worker
starts the run, and the sandbox Jenkins runs the Jenkinsfile it reads from the pushed branch with the
job's credential, as a lightweight checkout does (and fails with Jenkins's words when it cannot)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jenkins as pyjenkins
import pytest
from werkzeug.serving import make_server

from bridge.app import create_app
from bridge.bootstrap import Container, build_ref_poller
from bridge.sandbox.jenkins import SandboxJenkins
from bridge.sandbox.jenkins.buildstate import SIMULATION
from bridge.sandbox.jenkins.pipeline import Simulation
from bridge.services.deliveries import DispatchResult
from bridge.settings import Settings
from tests.e2e.conftest import P, Stack, jenkins_env
from tests.fixtures.app import make_settings
from tests.fixtures.gitea import Gitea, free_port, git
from tests.fixtures.leaks import register_secret
from tests.waiting import wait_until

SECRET = "gitea-hook-secret-7d1"
JENKINSFILE = (
    "pipeline { agent any\n"
    " stages { stage('build') { steps { echo \"built ${params.BRANCH_NAME} @VERSION@\" } } } }\n"
)


@pytest.fixture
def sandbox_jenkins(sandbox_jenkins_factory: Any) -> SandboxJenkins:
    j: SandboxJenkins = sandbox_jenkins_factory()
    j.services[SIMULATION] = Simulation(time_scale=0)
    return j


@pytest.fixture
def settings(tmp_path: Path, sandbox_jenkins: SandboxJenkins, gitea: Gitea) -> Settings:
    register_secret(sandbox_jenkins.admin_token, sandbox_jenkins.admin_password, SECRET, gitea.password)
    return make_settings(
        tmp_path,
        BRIDGE_JENKINS_ALLOW_HTTP_SCM="true",  # Gitea on loopback speaks plain HTTP
        BRIDGE_WEBHOOKS_RETRY_BASE="0",
        **jenkins_env(sandbox_jenkins),
    )


@pytest.fixture
def bridge_url(container: Container) -> Iterator[str]:
    """The bridge's API served over real HTTP on loopback (Gitea delivers to it)."""
    server = make_server("127.0.0.1", free_port(), create_app(container=container), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def project(stack: Stack, gitea: Gitea, password: str | None = None) -> None:
    api = stack.api
    assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    assert api.post(P, {"name": "demo", "workspace": "ws"}).status_code == 201
    data = {"username": gitea.user, "password": password or gitea.password}
    cred = {"id": "gitea", "type": "basic-auth", "data": data}
    assert api.post(f"{P}/demo/credentials", cred).status_code == 201


def pipeline(stack: Stack, name: str, url: str, webhook: dict[str, Any] | None = None, **scm: Any) -> None:
    body = {
        "name": name,
        "scm": {"url": url, "branch": "main", "credential": "gitea", "script_path": "ci/Jenkinsfile"} | scm,
        "parameters": [{"name": "BRANCH_NAME", "default": "none"}],
        "webhook": {"secret": SECRET} | (webhook or {}),
    }
    response = stack.api.post(f"{P}/demo/pipelines", body)
    assert response.status_code == 201, response.json


def push(gitea: Gitea, url: str, tmp: Path, files: dict[str, str]) -> str:
    """Clone, write ``files``, commit and push to main; the new commit."""
    work = tmp / "clone"
    if not work.exists():
        git(tmp, "clone", "-q", gitea.authed(url), str(work))
    for path, text in files.items():
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_text(text)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "change")
    git(work, "push", "-q", "origin", "main")
    return git(work, "rev-parse", "HEAD")


def finished(stack: Stack, job: str, number: int) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        info: dict[str, Any] = stack.jenkins.get_build_info(job, number)
        return info if info.get("result") else None

    return wait_until(done, what=f"{job} #{number} to finish", retry_on=(pyjenkins.JenkinsException,))


def test_a_push_to_gitea_runs_the_jenkinsfile_of_that_commit(
    stack: Stack, gitea: Gitea, bridge_url: str, tmp_path: Path
) -> None:
    url = gitea.create_repo("app")
    project(stack, gitea)
    pipeline(stack, "app", url)
    stack.worker.poll()
    assert stack.sync("/demo/pipelines/app")["status"] == "synced"
    gitea.add_hook("app", f"{bridge_url}/webhooks/gitea", SECRET)

    commit = push(gitea, url, tmp_path, {"ci/Jenkinsfile": JENKINSFILE.replace("@VERSION@", "v1")})

    def delivered() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = stack.api.get(f"{P}/demo/pipelines/app/webhook-deliveries").json["items"]
        return rows

    [row] = wait_until(delivered, timeout=30, what="Gitea's delivery to reach the bridge")
    assert row["provider"] == "gitea" and row["signed"] is True and row["status"] == "queued"
    assert row["commit"] == commit and row["ref"] == "refs/heads/main" and row["repo_url"] == url
    result = stack.worker.dispatch()
    assert isinstance(result, DispatchResult) and result.started == 1
    build = finished(stack, "demo/app", 1)
    assert build["result"] == "SUCCESS"
    console = stack.jenkins.get_build_console_output("demo/app", 1)
    assert f"Obtained ci/Jenkinsfile from git {url}" in console
    assert "built main v1" in console

    push(gitea, url, tmp_path, {"ci/Jenkinsfile": JENKINSFILE.replace("@VERSION@", "v2")})
    wait_until(lambda: len(delivered()) == 2, timeout=30, what="the second delivery")
    stack.worker.dispatch()
    assert finished(stack, "demo/app", 2)["result"] == "SUCCESS"
    assert "built main v2" in stack.jenkins.get_build_console_output("demo/app", 2)
    assert gitea.password not in console


def test_scm_runs_fail_with_jenkins_words(stack: Stack, gitea: Gitea, tmp_path: Path) -> None:
    url = gitea.create_repo("lib")
    push(gitea, url, tmp_path, {"ci/Jenkinsfile": JENKINSFILE.replace("@VERSION@", "ok")})
    project(stack, gitea)
    assert (
        stack.api.post(
            f"{P}/demo/credentials",
            {"id": "wrong", "type": "basic-auth", "data": {"username": gitea.user, "password": "not-it-123"}},
        ).status_code
        == 201
    )
    pipeline(stack, "missing-file", url, script_path="Jenkinsfile.nope")
    pipeline(stack, "no-branch", url, branch="nobranch")
    pipeline(stack, "bad-cred", url, credential="wrong")
    pipeline(stack, "good", url)
    stack.worker.poll()
    for name in ("missing-file", "no-branch", "bad-cred", "good"):
        assert stack.api.post(f"{P}/demo/pipelines/{name}/runs", {}).status_code == 202
    results = {
        n: finished(stack, f"demo/{n}", 1)["result"]
        for n in ("missing-file", "no-branch", "bad-cred", "good")
    }
    assert results == {
        "missing-file": "FAILURE",
        "no-branch": "FAILURE",
        "bad-cred": "FAILURE",
        "good": "SUCCESS",
    }
    log = {n: stack.jenkins.get_build_console_output(f"demo/{n}", 1) for n in results}
    assert f"ERROR: Unable to find Jenkinsfile.nope from git {url}" in log["missing-file"]
    assert "ERROR: Couldn't find any revision to build." in log["no-branch"]
    assert "ERROR: Error fetching remote repo 'origin'" in log["bad-cred"]
    assert f"Failed to fetch from {url}" in log["bad-cred"]
    assert "built main ok" in log["good"] or "built none ok" in log["good"]
    assert "not-it-123" not in log["bad-cred"]


def test_the_ref_poll_runs_pushes_no_delivery_announced_and_nothing_twice(
    stack: Stack, gitea: Gitea, bridge_url: str, tmp_path: Path
) -> None:
    url = gitea.create_repo("polled")
    project(stack, gitea)
    pipeline(stack, "polled", url, webhook={"poll": True})
    stack.worker.poll()
    poller = build_ref_poller(stack.container.store)

    def rows() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = stack.api.get(f"{P}/demo/webhook-deliveries").json["items"]
        return found

    assert poller.run().queued == 0  # the head already there is recorded, not run
    [baseline] = rows()
    assert baseline["provider"] == "poll" and baseline["status"] == "ignored"

    missed = push(gitea, url, tmp_path, {"ci/Jenkinsfile": JENKINSFILE.replace("@VERSION@", "missed")})
    result = poller.run()  # no hook at Gitea: only the poll can see this push
    assert result.queued == 1 and result.errors == 0
    assert rows()[0]["commit"] == missed and rows()[0]["status"] == "queued"
    assert poller.run().queued == 0
    stack.worker.dispatch()
    assert finished(stack, "demo/polled", 1)["result"] == "SUCCESS"
    assert "built main missed" in stack.jenkins.get_build_console_output("demo/polled", 1)

    gitea.add_hook("polled", f"{bridge_url}/webhooks/gitea", SECRET)
    announced = push(gitea, url, tmp_path, {"ci/Jenkinsfile": JENKINSFILE.replace("@VERSION@", "hooked")})
    # (Gitea may also deliver the earlier push to the new hook when it processes pushes late: that row is
    # for a commit already run, and the dispatcher skips it)
    wait_until(
        lambda: any(r["provider"] == "gitea" and r["commit"] == announced for r in rows()),
        timeout=30,
        what="Gitea's delivery",
    )
    assert poller.run().queued == 0  # the delivery already covers that commit
    stack.worker.dispatch()
    assert finished(stack, "demo/polled", 2)["result"] == "SUCCESS"
    assert stack.jenkins.get_job_info("demo/polled")["nextBuildNumber"] == 3, "one run per commit"


def test_the_ref_poll_uses_the_pipelines_credential(stack: Stack, gitea: Gitea) -> None:
    url = gitea.create_repo("private")
    project(stack, gitea, password="not-the-password-1")
    pipeline(stack, "private", url, webhook={"poll": True})
    result = build_ref_poller(stack.container.store).run()
    assert result.errors == 1 and result.queued == 0  # the private repository refuses a bad credential
    assert stack.api.get(f"{P}/demo/webhook-deliveries").json["items"] == []
