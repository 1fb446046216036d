"""Gentle with Jenkins: many readers of one run cost one Jenkins request per resource per cache interval
(counted at the sandbox), and the worker never reads a finished run again."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from bridge.sandbox.jenkins import SandboxJenkins
from bridge.settings import Settings
from tests.e2e.runs_support import RUNS, RunStack, run_settings, sandbox_for_runs
from tests.e2e.runs_support import run_stack as run_stack
from tests.waiting import wait_until

TTL = 0.5
READERS = 40
SECONDS = 2.0
BUILD = r"^job/demo/job/build/1/"


@pytest.fixture
def sandbox_jenkins(sandbox_jenkins_factory: Any) -> SandboxJenkins:
    return sandbox_for_runs(sandbox_jenkins_factory)


@pytest.fixture
def settings(tmp_path: Path, sandbox_jenkins: SandboxJenkins) -> Settings:
    return run_settings(tmp_path, sandbox_jenkins, BRIDGE_RECONCILE_RUN_CACHE_TTL=str(TTL))


def test_concurrent_readers_of_one_run_share_jenkins_requests(run_stack: RunStack) -> None:
    api = run_stack.people["vera"]
    number = run_stack.first_number(run_stack.people["otto"].post(RUNS, {}).json)
    assert number == 1
    wait_until(lambda: api.get(f"{RUNS}/1").json["status"] == "paused", what="the input to wait", timeout=20)
    faults = run_stack.sandbox.faults
    before = {what: faults.seen(BUILD + what) for what in ("api/json", "wfapi/describe", "wfapi/pending")}
    answers: list[int] = []
    statuses: list[str] = []
    lock = threading.Lock()
    end = time.monotonic() + SECONDS

    def reader() -> None:
        while time.monotonic() < end:
            r = api.get(f"{RUNS}/1")
            with lock:
                answers.append(r.status_code)
                statuses.append(r.json["status"])

    threads = [threading.Thread(target=reader) for _ in range(READERS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    assert set(answers) == {200} and set(statuses) == {"paused"}
    assert len(answers) > READERS * 2, "the readers really polled"
    # one request per resource per TTL at most (plus the interval already open when readers began)
    allowed = int(elapsed / TTL) + 2
    for what, count in before.items():
        sent = faults.seen(BUILD + what) - count
        assert 1 <= sent <= allowed, (
            f"{what}: {sent} Jenkins requests for {len(answers)} reads in {elapsed:.1f}s"
        )


def test_the_worker_never_reads_a_finished_run_again(run_stack: RunStack) -> None:
    number = run_stack.first_number(run_stack.people["otto"].post(RUNS, {}).json)
    wait_until(
        lambda: run_stack.api.get(f"{RUNS}/{number}").json["status"] == "paused", what="the input", timeout=20
    )
    run_stack.approve(number)
    run_stack.follow_until(number, lambda r: r["status"] == "succeeded", "the run to finish")
    time.sleep(TTL)  # past every cache interval: a read now would reach Jenkins
    faults = run_stack.sandbox.faults
    before = faults.seen(BUILD)
    for _ in range(5):
        assert run_stack.follower.follow() == 0
        assert run_stack.api.get(f"{RUNS}/{number}").json["status"] == "succeeded"
    assert faults.seen(BUILD) == before
    assert faults.seen(r"^queue/") >= 1
