"""Worker polling (merged dirty keys, retries after an outage) and the single-scheduler lock."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.clock import ManualClock
from bridge.domain.model import Pipeline, Project, SyncStatus
from bridge.errors import Conflict
from bridge.reconcile.backoff import Backoff
from bridge.reconcile.leader import LeaderLock
from bridge.reconcile.ports import Kind, Ref
from bridge.reconcile.provision import Provisioner
from bridge.reconcile.runner import Worker
from tests.reconcile.doubles import FakeJenkins, MemoryDesiredState


def make(clock: ManualClock | None = None) -> tuple[MemoryDesiredState, FakeJenkins, Worker]:
    desired, jenkins = MemoryDesiredState(), FakeJenkins()
    worker = Worker(
        provisioner=Provisioner(desired=desired, jenkins=jenkins, key=b"k"),
        desired=desired,
        batch=2,
        backoff=Backoff(initial=2.0, maximum=60.0, clock=clock or ManualClock(), jitter=lambda: 1.0),
    )
    return desired, jenkins, worker


def test_poll_reconciles_only_dirty_projects_and_drains_every_batch() -> None:
    desired, jenkins, worker = make()
    for name in ("a", "b", "c"):
        desired.put(Project(name=name, workspace="w"))
    desired.put(Pipeline(project="a", name="p", jenkinsfile="echo"))
    result = worker.poll()
    assert result is not None and result.writes == 4 and set(jenkins.root) == {"a", "b", "c"}
    assert worker.poll() is None  # nothing dirty: no requests at all
    reads = jenkins.counter.total
    desired.put(Pipeline(project="b", name="q", jenkinsfile="echo"))
    worker.poll()
    assert jenkins.counter.total - reads == 3  # folder + credentials of b, one create


def test_projects_left_by_an_outage_are_retried_without_new_events() -> None:
    clock = ManualClock()
    desired, jenkins, worker = make(clock)
    desired.put(Project(name="a", workspace="w"))
    jenkins.down = True
    worker.poll()
    assert desired.sync[Ref(Kind.PROJECT, "a")].status is SyncStatus.PENDING
    jenkins.down = False
    assert worker.poll() is None  # not before its backoff is over
    clock.advance(2.0)
    worker.poll()
    assert desired.sync[Ref(Kind.PROJECT, "a")].status is SyncStatus.SYNCED and "a" in jenkins.root


def test_resync_repairs_what_no_event_announced() -> None:
    desired, jenkins, worker = make()
    desired.put(Project(name="a", workspace="w"))
    worker.poll()
    del jenkins.root["a"]
    assert worker.poll() is None
    assert worker.resync().writes == 1 and "a" in jenkins.root


def test_only_one_process_holds_the_scheduler_lock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bridge.db'}"
    first = LeaderLock(database_url=url, data_dir=tmp_path)
    second = LeaderLock(database_url=url, data_dir=tmp_path)
    assert first.acquire()
    with pytest.raises(Conflict):
        second.acquire()
    first.release()
    assert second.acquire()
    second.release()


def test_the_sqlite_lock_follows_the_database_not_the_data_directory(tmp_path: Path) -> None:
    """`serve --with-worker` and `worker` started with different data directories share one database."""
    url = f"sqlite:///{tmp_path / 'shared' / 'bridge.db'}"
    first = LeaderLock(database_url=url, data_dir=tmp_path / "serve-data")
    second = LeaderLock(database_url=url, data_dir=tmp_path / "worker-data")
    assert first.acquire()
    with pytest.raises(Conflict):
        second.acquire()
    first.release()
    assert first.lock_path() == tmp_path / "shared" / "bridge.db-worker.lock"
