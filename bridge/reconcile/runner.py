"""The reconciliation worker: dirty keys polled often, full resyncs periodically, one pass at a time.

APScheduler runs two interval jobs, both ``max_instances=1`` and ``coalesce=True`` so a slow Jenkins
never piles up passes:

* ``poll`` every ``reconcile.poll_interval``: validates the Jenkinsfiles Jenkins could not judge when
  they were written (``validate.py``), takes the keys written through the API (merged by the store) and
  reconciles their projects, plus projects a previous pass could not finish;
* ``resync`` every ``reconcile.resync_interval``: a full pass, which repairs drift in Jenkins.

Passes share one lock, so they never overlap. ``run_worker`` first takes the leader lock
(``leader.py``): only one process per database runs the scheduler. Each scheduled pass first checks
that the lock is still held (``still_leader``); when it is not (the PostgreSQL session was ended), the
pass does nothing and scheduling stops: ``worker`` exits (its supervisor restarts it as a standby),
``serve --with-worker`` keeps serving the API without reconciling.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.background import BackgroundScheduler

from bridge.reconcile.leader import LeaderLock, LeadershipLost
from bridge.reconcile.ports import DesiredState, ObjectKey
from bridge.reconcile.provision import PassResult, Provisioner

if TYPE_CHECKING:
    from bridge.adapters.jenkins.port import JenkinsPort
    from bridge.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Worker:
    provisioner: Provisioner
    desired: DesiredState
    batch: int = 500
    #: Asked inside the pass lock before each scheduled pass; False raises ``LeadershipLost``.
    still_leader: Callable[[], bool] = lambda: True
    #: Asks Jenkins about Jenkinsfiles left pending (``validate.PendingValidator.run``) before each pass.
    validate: Callable[[], object] | None = None
    #: Told about every pass that ran (trigger ``event`` or ``resync``, result, seconds): metrics and
    #: the periodic summary (``summary.py``) hook in here.
    on_pass: Callable[[str, PassResult, float], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _retry: set[str] = field(default_factory=set)

    def _check_leader(self) -> None:
        if not self.still_leader():
            raise LeadershipLost("the scheduler lock was lost; another worker may hold it now")

    def poll(self) -> PassResult | None:
        """Reconcile the projects of dirty keys (and of earlier unfinished passes)."""
        with self._lock:
            self._check_leader()
            if self.validate is not None:
                self.validate()  # what it releases is queued, so this very pass syncs it
            keys = self._take_all_dirty()
            projects = {k.project for k in keys} | self._retry
            if not projects:
                return None
            self.provisioner.invalidate(keys)
            started = time.monotonic()
            result = self.provisioner.run(sorted(projects))
            self._retry = set(result.retry)
            _log_pass("event", result)
            self._tell("event", result, started)
            return result

    def once(
        self, projects: Sequence[str] | None = None, *, dry_run: bool = False, deep: bool | None = None
    ) -> PassResult:
        """One pass by hand (``reconcile --once``). A full pass that applies also takes the queued keys
        (it covers them all), so what it syncs shows ``synced`` at once instead of waiting for a worker."""
        with self._lock:
            if not dry_run and self.validate is not None:
                self.validate()
            if not dry_run and not projects:
                self.provisioner.invalidate(self._take_all_dirty())
            return self.provisioner.run(projects or None, dry_run=dry_run, deep=deep)

    def _take_all_dirty(self) -> list[ObjectKey]:
        keys: list[ObjectKey] = []
        while True:
            taken: Sequence[ObjectKey] = self.desired.take_dirty(self.batch)
            keys.extend(taken)
            if len(taken) < self.batch:
                return keys

    def resync(self) -> PassResult:
        """A full pass over every project and tombstone."""
        with self._lock:
            self._check_leader()
            if self.validate is not None:
                self.validate()
            started = time.monotonic()
            result = self.provisioner.run()
            self._retry = set(result.retry)
            _log_pass("resync", result)
            self._tell("resync", result, started)
            return result

    def _tell(self, trigger: str, result: PassResult, started: float) -> None:
        if self.on_pass is not None:
            try:
                self.on_pass(trigger, result, time.monotonic() - started)
            except Exception:  # a metrics problem must never stop reconciliation
                log.exception("recording the %s pass failed", trigger)


def _log_pass(what: str, result: PassResult) -> None:
    if result.writes or result.errors or result.retry:
        log.info(
            "%s pass: %d writes, %d errors, %d projects to retry",
            what,
            result.writes,
            len(result.errors),
            len(result.retry),
        )


@dataclass
class WorkerHandle:
    worker: Worker
    scheduler: BackgroundScheduler
    leader: LeaderLock
    stopped: threading.Event = field(default_factory=threading.Event)
    #: Set when a pass found the scheduler lock gone; no pass runs after it.
    lost: threading.Event = field(default_factory=threading.Event)
    #: Told whether this process holds the scheduler lock (the ``bridge_leader`` gauge).
    on_leader: Callable[[bool], None] = lambda held: None

    def stop(self) -> None:
        if self.stopped.is_set():
            return
        self.stopped.set()
        self.scheduler.shutdown(wait=True)
        self.leader.release()
        self.on_leader(False)
        log.info("reconciliation worker stopped; scheduler lock released")


def leader_state(handle: WorkerHandle | None) -> str:
    """For ``/readyz``: ``standby`` (waiting for the lock), ``leader``, or ``lost`` (stopped reconciling)."""
    if handle is None:
        return "standby"
    return "lost" if handle.lost.is_set() else "leader"


def run_worker(
    settings: Settings,
    *,
    desired: DesiredState | None = None,
    jenkins: JenkinsPort | None = None,
    block: bool = True,
    stop: threading.Event | None = None,
    on_leader: Callable[[bool], None] | None = None,
    on_pass: Callable[[str, PassResult, float], None] | None = None,
) -> WorkerHandle | None:
    """Take the leader lock, start the scheduler; with ``block`` run until SIGTERM/SIGINT or ``stop``.

    ``serve --with-worker`` calls it with ``block=False`` and stops the returned handle on exit.
    Returns ``None`` when ``stop`` was set while standing by for the lock.
    """
    stop = stop or threading.Event()
    leader = LeaderLock(database_url=settings.database_url, data_dir=settings.data_dir)
    if not leader.acquire(wait=True, stop=stop):
        return None
    from bridge.bootstrap import build_worker  # the composition root names the concrete classes

    worker = build_worker(settings, desired=desired, jenkins=jenkins)
    worker.still_leader = leader.verify
    worker.on_pass = on_pass or worker.on_pass
    held = on_leader or (lambda held: None)
    held(True)
    scheduler = BackgroundScheduler(timezone=UTC)
    lost = threading.Event()

    def guarded(run: Callable[[], object]) -> Callable[[], None]:
        def job() -> None:
            if lost.is_set():
                return
            try:
                run()
            except LeadershipLost:
                log.error("scheduler lock lost (database session ended): this process stops reconciling")
                lost.set()
                held(False)
                stop.set()
                scheduler.pause()  # not shutdown: that would wait for this very job

        return job

    now = datetime.now(UTC)
    common: dict[str, Any] = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
    scheduler.add_job(
        guarded(worker.resync),
        "interval",
        seconds=settings.reconcile.resync_interval,
        next_run_time=now,
        id="resync",
        name="reconcile resync",
        **common,
    )
    scheduler.add_job(
        guarded(worker.poll),
        "interval",
        seconds=settings.reconcile.poll_interval,
        next_run_time=now,
        id="poll",
        name="reconcile poll",
        **common,
    )
    scheduler.start()
    handle = WorkerHandle(worker=worker, scheduler=scheduler, leader=leader, lost=lost, on_leader=held)
    log.info(
        "reconciliation worker started (poll %.1fs, resync %.0fs)",
        settings.reconcile.poll_interval,
        settings.reconcile.resync_interval,
    )
    if not block:
        return handle
    if threading.current_thread() is threading.main_thread():
        # Set from another thread: a handler runs on the main thread, which may be inside
        # ``stop.wait()`` holding the event's lock (``set`` there would deadlock).
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: threading.Thread(target=stop.set, name="sigterm").start())
    try:
        stop.wait()
    finally:
        handle.stop()
    return handle
