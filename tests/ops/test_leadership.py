"""Leadership as operators see it: ``/readyz`` fails and ``bridge_leader`` drops to 0 when the worker
of this process loses the PostgreSQL scheduler lock; a standby's gauge rises when it takes over."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bridge.app import create_app
from bridge.bootstrap import build_container, run_worker, worker_hooks
from bridge.metrics import Metrics
from bridge.reconcile.runner import leader_state
from tests.fixtures.app import make_settings
from tests.ops.test_metrics import value
from tests.reconcile.doubles import FakeJenkins, MemoryDesiredState
from tests.reconcile.test_leader_loss import _terminate_lock_holders
from tests.waiting import wait_until

pytestmark = pytest.mark.postgres


def gauge(metrics: Metrics) -> float | None:
    return value(metrics.render().decode(), "bridge_leader")


def test_readiness_and_the_leader_gauge_follow_the_lock(postgres_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, BRIDGE_DATABASE_URL=postgres_url, BRIDGE_RECONCILE_POLL_INTERVAL="0.2")
    container = build_container(settings)
    metrics = container.metrics
    assert metrics is not None
    handle: dict[str, object] = {}
    container.leader_state = lambda: leader_state(handle.get("worker"))  # type: ignore[arg-type]
    client = create_app(container=container).test_client()
    assert client.get("/readyz").json["leader"] == "standby"
    hooks = worker_hooks(settings, metrics)
    desired, jenkins = MemoryDesiredState(), FakeJenkins()
    first = run_worker(
        settings,
        desired=desired,
        jenkins=jenkins,
        block=False,
        hooks=hooks,
    )
    assert first is not None
    handle["worker"] = first
    standby = None
    try:
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json["leader"] == "leader"
        assert gauge(metrics) == 1
        assert _terminate_lock_holders(postgres_url) == 1
        wait_until(first.lost.is_set, what="the worker to notice it lost the lock")
        lost = client.get("/readyz")
        assert lost.status_code == 503 and lost.json == {
            "status": "not-ready",
            "store": "ok",
            "jenkins": lost.json["jenkins"],
            "leader": "lost",
        }
        assert gauge(metrics) == 0
        other = worker_hooks(settings, metrics)
        standby = run_worker(
            settings,
            desired=desired,
            jenkins=jenkins,
            block=False,
            stop=threading.Event(),
            hooks=other,
        )
        assert standby is not None and gauge(metrics) == 1
    finally:
        if standby is not None:
            standby.stop()
        first.stop()
        container.close()
    assert gauge(metrics) == 0
