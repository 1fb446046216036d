"""An idle worker is quiet: the scheduler's per-run lines are silenced and a pass that did nothing logs
nothing, while the worker keeps polling (counted at the store port it polls). A pass that wrote logs
one line; the periodic summary is at most one line per interval."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from bridge.app import create_app
from bridge.bootstrap import run_worker
from bridge.log import configure_logging
from bridge.reconcile.outcome import PassResult
from bridge.reconcile.ports import Ref
from bridge.reconcile.summary import PassTally
from bridge.sandbox.jenkins import SandboxJenkins
from bridge.settings import LogSettings
from bridge.store import StoreDesiredState
from tests.e2e.conftest import jenkins_env
from tests.fixtures.app import ApiClient, make_settings
from tests.fixtures.leaks import register_secret
from tests.waiting import wait_until


class CountingDesired(StoreDesiredState):
    """The real store port, counting the polls that reach it."""

    polls = 0

    def take_dirty(self, limit: int) -> Sequence[Ref]:
        type(self).polls += 1
        return super().take_dirty(limit)


@pytest.fixture
def bridge_handler() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    yield
    for handler in [h for h in root.handlers if h.get_name() == "bridge"]:
        root.removeHandler(handler)
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(logging.NOTSET)


def _run_idle(settings: object, store: object, polls: int) -> None:
    stop = threading.Event()
    CountingDesired.polls = 0
    handle = run_worker(settings, desired=CountingDesired(store), block=False, stop=stop)  # type: ignore[arg-type]
    assert handle is not None
    try:
        wait_until(lambda: CountingDesired.polls >= polls, timeout=30, what=f"{polls} polls")
    finally:
        stop.set()
        handle.stop()


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_an_idle_worker_writes_no_line_per_poll(
    tmp_path: Path,
    sandbox_jenkins: SandboxJenkins,
    capsys: pytest.CaptureFixture[str],
    bridge_handler: None,
    level: str,
) -> None:
    register_secret(sandbox_jenkins.admin_token, sandbox_jenkins.admin_password)
    settings = make_settings(tmp_path, **jenkins_env(sandbox_jenkins), BRIDGE_RECONCILE_POLL_INTERVAL="0.05")
    app = create_app(settings)
    container = app.extensions["bridge"]
    api = ApiClient(app.test_client())
    assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    assert api.post("/api/v1/projects", {"name": "demo", "workspace": "ws"}).status_code == 201
    configure_logging(LogSettings(level=level))  # type: ignore[arg-type]
    capsys.readouterr()
    try:
        _run_idle(container.settings, container.store, polls=30)
    finally:
        container.close()
    # only the worker's lines: readiness probes that earlier tests' apps left running in the background
    # (pointed at Jenkins that are gone) may log here meanwhile
    mine = (" bridge.reconcile", " apscheduler")
    lines = [line for line in capsys.readouterr().err.strip().splitlines() if any(m in line for m in mine)]
    scheduler = [line for line in lines if "apscheduler" in line]
    if level == "DEBUG":  # the same run, verbose: the scheduler's lines are there, with readable names
        assert any('"reconcile resync' in line for line in scheduler), "\n".join(scheduler)
        return
    assert scheduler == []
    passes = [line for line in lines if "pass:" in line]
    assert len(passes) == 1 and "writes" in passes[0]  # the project's folder; then nothing to do
    assert any("[project=demo]: create" in line for line in lines)  # the log context of the write
    after = lines[lines.index(passes[0]) + 1 :]
    assert len(after) == 1 and "worker stopped" in after[0], "\n".join(lines)  # dozens of polls: silence


def test_the_summary_is_at_most_one_line_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    tally = PassTally(600, clock=lambda: now[0])
    caplog.set_level(logging.INFO, logger="bridge.reconcile.worker")
    for step in range(1, 2001):  # an hour and a bit of polls every two seconds
        now[0] = step * 2.0
        tally.record("event" if step % 100 else "resync", PassResult(), 0.01)
    summaries = [r.getMessage() for r in caplog.records]
    assert len(summaries) == 6
    assert (
        summaries[0]
        == "worker summary: 297 event and 3 resync passes, 0 writes, 0 object errors in the last 600s"
    )
    silent = PassTally(0, clock=lambda: now[0])
    caplog.clear()
    for _ in range(10):
        silent.record("event", PassResult(), 0.01)
    assert caplog.records == []
