"""The /readyz Jenkins probe: answers at once from the last result, refreshes in the background, one
refresh at a time; and the composition root wires one adapter for the API and the worker."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from bridge.adapters.jenkins.client import JenkinsAdapter
from bridge.adapters.jenkins.probe import CachedProbe
from bridge.bootstrap import build_container, build_worker
from bridge.clock import ManualClock
from bridge.errors import UpstreamUnavailable
from tests.fixtures.app import ApiClient, make_settings
from tests.waiting import wait_until


def test_a_hanging_jenkins_never_blocks_the_caller_and_is_asked_once() -> None:
    release, calls = threading.Event(), []

    def ping() -> None:
        calls.append(1)
        release.wait(5)

    probe = CachedProbe(ping, ttl=0.0)
    started = time.monotonic()
    answers = [probe() for _ in range(20)]
    assert time.monotonic() - started < 0.5 and answers == [None] * 20
    assert len(calls) == 1  # one refresh in flight at a time
    release.set()
    assert probe.wait() is True


def test_results_are_reused_for_ttl_then_refreshed() -> None:
    clock, outcomes = ManualClock(), [None, UpstreamUnavailable("cannot reach Jenkins")]

    def ping() -> None:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome

    probe = CachedProbe(ping, ttl=10.0, clock=clock)
    assert probe.wait() is True
    clock.advance(5)
    assert probe() is True and len(outcomes) == 1  # fresh: no new request
    clock.advance(6)
    probe()
    wait_until(lambda: probe() is False, timeout=5, interval=0.01, what="the refreshed answer")
    assert probe() is False and outcomes == []


def test_container_and_worker_share_one_adapter_and_readyz_reports_it(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, BRIDGE_JENKINS_URL="http://127.0.0.1:9/", BRIDGE_JENKINS_RETRIES="0")
    container = build_container(settings)
    try:
        assert isinstance(container.jenkins, JenkinsAdapter)
        worker = build_worker(settings, desired=container.desired, jenkins=container.jenkins)
        assert worker.provisioner._jenkins is container.jenkins
        from bridge.app import create_app

        client = ApiClient(create_app(container=container).test_client(), token=None)
        started = time.monotonic()
        first = client.get("/readyz")
        assert first.status_code == 200 and time.monotonic() - started < 1.0
        assert first.json["jenkins"] in ("unknown", "unreachable")
        assert isinstance(container.jenkins_probe, CachedProbe) and container.jenkins_probe.wait() is False
        assert client.get("/readyz").json == {
            "status": "ready",
            "store": "ok",
            "jenkins": "unreachable",
            "leader": "none",
        }
    finally:
        container.close()
