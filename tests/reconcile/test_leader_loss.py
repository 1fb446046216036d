"""Losing the PostgreSQL scheduler lock mid-life: the worker notices before its next pass and stops.

The lock-holding backend is killed with ``pg_terminate_backend`` (what a database restart, failover or
pooler idle timeout does to the session); a standby then takes the lock.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from bridge.bootstrap import run_worker
from bridge.domain.model import Project
from bridge.reconcile.leader import LeaderLock
from tests.fixtures.app import make_settings
from tests.reconcile.doubles import FakeJenkins, MemoryDesiredState
from tests.waiting import wait_until

pytestmark = pytest.mark.postgres


def _terminate_lock_holders(url: str) -> int:
    u = make_url(url)
    dsn = f"host={u.host} port={u.port} user={u.username} dbname={u.database}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted"
        ).fetchall()
    return len(rows)


def test_verify_follows_the_session_that_holds_the_lock(postgres_url: str, tmp_path: Path) -> None:
    lock = LeaderLock(database_url=postgres_url, data_dir=tmp_path)
    assert not lock.verify()  # not taken yet
    assert lock.acquire()
    assert lock.verify()
    assert _terminate_lock_holders(postgres_url) == 1
    wait_until(lambda: not lock.verify(), what="the lock to be lost")
    standby = LeaderLock(database_url=postgres_url, data_dir=tmp_path)
    assert standby.acquire()  # the server dropped the lock with the session
    assert standby.verify() and not lock.verify()
    lock.release()  # closing a dead session is harmless
    standby.release()


def test_sqlite_lock_has_the_same_check(tmp_path: Path) -> None:
    lock = LeaderLock(database_url=f"sqlite:///{tmp_path / 'b.db'}", data_dir=tmp_path)
    assert not lock.verify()
    assert lock.acquire() and lock.verify()
    lock.release()
    assert not lock.verify()


def test_a_worker_whose_lock_session_is_killed_stops_and_a_standby_takes_over(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = make_settings(
        tmp_path,
        BRIDGE_DATABASE_URL=postgres_url,
        BRIDGE_RECONCILE_POLL_INTERVAL="0.2",
    )
    desired, jenkins = MemoryDesiredState(), FakeJenkins()
    first = run_worker(settings, desired=desired, jenkins=jenkins, block=False)
    assert first is not None
    try:
        desired.put(Project(name="a", workspace="w"))
        wait_until(lambda: "a" in jenkins.root, what="the leader to reconcile")

        assert _terminate_lock_holders(postgres_url) == 1
        wait_until(first.lost.is_set, what="the worker to notice it lost the lock")

        desired.put(Project(name="b", workspace="w"))
        time.sleep(1.0)  # five poll periods: a worker that kept scheduling would have created "b"
        assert "b" not in jenkins.root

        stop = threading.Event()
        standby = run_worker(settings, desired=desired, jenkins=jenkins, block=False, stop=stop)
        assert standby is not None  # it took the lock at once: the server dropped ours
        try:
            wait_until(lambda: "b" in jenkins.root, what="the standby to reconcile")
            assert standby.leader.verify() and not first.leader.verify()
        finally:
            standby.stop()
    finally:
        first.stop()
