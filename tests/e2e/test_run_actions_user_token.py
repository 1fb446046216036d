"""Stop and replay in ``user-token`` attribution: Jenkins itself records the real user."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bridge.sandbox.jenkins import SandboxJenkins
from bridge.settings import Settings
from tests.e2e.runs_support import RUNS, RunStack, run_settings, sandbox_for_runs
from tests.e2e.runs_support import run_stack as run_stack
from tests.waiting import wait_until


@pytest.fixture
def sandbox_jenkins(sandbox_jenkins_factory: Any) -> SandboxJenkins:
    return sandbox_for_runs(sandbox_jenkins_factory)


@pytest.fixture
def settings(tmp_path: Path, sandbox_jenkins: SandboxJenkins) -> Settings:
    return run_settings(tmp_path, sandbox_jenkins, BRIDGE_JENKINS_ATTRIBUTION="user-token")


def _build(stack: RunStack, number: int) -> dict[str, Any]:
    url = f"{stack.sandbox.url}job/demo/job/build/{number}/api/json"
    info: dict[str, Any] = stack.session.get(url).json()
    return info


def test_stop_and_replay_are_sent_as_the_user(run_stack: RunStack) -> None:
    otto, ada = run_stack.people["otto"], run_stack.people["ada"]
    first = run_stack.first_number(otto.post(RUNS, {}).json)
    wait_until(lambda: otto.get(f"{RUNS}/{first}").json["status"] == "paused", what="the input to wait")
    changed = "pipeline { agent any\n stages { stage('again') { steps { echo 'replayed' } } } }"
    r = ada.post(f"{RUNS}/{first}/replay", {"jenkinsfile": changed})
    assert r.status_code == 202, r.json

    def replayed() -> dict[str, Any] | None:
        run_stack.follower.discover()
        run_stack.follower.follow()
        found = [x for x in ada.get(f"{RUNS}?trigger=replay").json["items"] if x["number"]]
        return found[0] if found else None

    replay = wait_until(replayed, what="the replay to be indexed", timeout=20)
    causes = [c for a in _build(run_stack, replay["number"])["actions"] if a for c in a.get("causes", [])]
    assert [c.get("userId") for c in causes if c["_class"].endswith("UserIdCause")] == ["ada"]
    assert replay["trigger"]["user"] == "ada"

    assert otto.post(f"{RUNS}/{first}/stop", {}).status_code == 202
    run_stack.follow_until(first, lambda r: r["status"] == "aborted", "the run to abort")
    console = run_stack.session.get(f"{run_stack.sandbox.url}job/demo/job/build/{first}/consoleText").text
    assert "Aborted by otto" in console
    assert "via jenkins-bridge" not in (_build(run_stack, first)["description"] or "")
