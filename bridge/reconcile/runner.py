"""Running the worker (``worker.py``): the poll loop, the periodic resync, the leader lock.

* the **poll loop** (a thread) runs ``Worker.poll`` as soon as work is queued in this process (a write
  through the API of ``serve --with-worker`` sets ``Worker.wake``), when a project's backoff is over,
  and otherwise every ``reconcile.poll_interval`` (a worker in another process sees writes then);
* APScheduler runs ``resync`` every ``reconcile.resync_interval`` (``max_instances=1``,
  ``coalesce=True``, so a slow Jenkins never piles up passes): a full pass, which repairs drift.
* with a run index (``Worker.runs``, ``runsync.py``), APScheduler also follows active runs and looks
  for runs started inside Jenkins, in jobs of their own (not the pass lock), so a long pass never
  delays run status.
* APScheduler runs ``approvals`` every ``reconcile.poll_interval`` (inputs of paused runs recorded,
  expired inputs rejected, notifications sent: ``services.approval_jobs``).
* APScheduler also runs ``dispatch`` every ``webhooks.poll_interval`` (the runs of webhook deliveries)
  and ``poll_refs`` every ``webhooks.poll_refs_interval`` (the missed-push safety net).
* with Kubernetes, the deploy target preflight (``preflight``, ``preflight-all``), the promotion history
  (``promotions``) and the scoped deploy credentials (``scoped``) are jobs of their own too.
* with ``reconcile.leases`` (PostgreSQL), each controller's work runs only in the worker holding its lease
  (``leases.py``), instead of everything in the one process holding the leader lock.

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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.background import BackgroundScheduler

from bridge.reconcile.leader import LeaderLock, LeadershipLost
from bridge.reconcile.leases import SharedScheduler
from bridge.reconcile.worker import Worker

if TYPE_CHECKING:
    from bridge.reconcile.outcome import PassResult
    from bridge.settings import Settings

__all__ = ["Worker", "WorkerHandle", "leader_state", "run_worker"]

#: Longest wait for a burst of writes to pause before a pass starts anyway (seconds).
SETTLE_MAX = 0.25

log = logging.getLogger(__name__)


@dataclass
class WorkerHandle:
    worker: Worker
    scheduler: BackgroundScheduler
    leader: LeaderLock | SharedScheduler
    stopped: threading.Event = field(default_factory=threading.Event)
    #: Set when a pass found the scheduler lock gone; no pass runs after it.
    lost: threading.Event = field(default_factory=threading.Event)
    poller: threading.Thread | None = None
    #: Called once the worker has stopped (resources its builder opened).
    on_stop: list[Callable[[], None]] = field(default_factory=list)
    #: Told whether this process holds the scheduler lock (the ``bridge_leader`` gauge).
    on_leader: Callable[[bool], None] = lambda held: None

    def stop(self) -> None:
        if self.stopped.is_set():
            return
        self.stopped.set()
        self.worker.wake.set()
        if self.poller is not None:
            self.poller.join()
        self.scheduler.shutdown(wait=True)
        self.leader.release()
        self.on_leader(False)
        log.info("reconciliation worker stopped; scheduler lock released")
        for close in self.on_stop:
            close()


def leader_state(handle: WorkerHandle | None) -> str:
    """For ``/readyz``: ``standby`` (waiting for the lock), ``leader``, or ``lost`` (stopped reconciling)."""
    if handle is None:
        return "standby"
    return "lost" if handle.lost.is_set() else "leader"


def run_worker(
    settings: Settings,
    *,
    build: Callable[[], Worker],
    block: bool = True,
    stop: threading.Event | None = None,
    changed: Callable[[], bool] | None = None,
    watch_interval: float = 0.05,
    on_leader: Callable[[bool], None] | None = None,
    on_pass: Callable[[str, PassResult, float], None] | None = None,
) -> WorkerHandle | None:
    """Take the leader lock, build the worker (``build``: the composition root's), start the poll
    loop and the scheduler; with ``block`` run until SIGTERM/SIGINT or ``stop``.

    ``serve --with-worker`` calls it with ``block=False`` and stops the returned handle on exit.
    ``changed`` (every ``watch_interval`` between polls): whether another process committed to the
    store (``store/changes.py``), which starts a poll at once. ``on_leader`` hears whether the lock is
    held, ``on_pass`` every pass that ran (``Worker.on_pass``): metrics and the summary line.
    Returns ``None`` when ``stop`` was set while standing by for the lock.
    """
    stop = stop or threading.Event()
    leader: LeaderLock | SharedScheduler = (
        SharedScheduler()  # several workers: a lease per controller instead (``leases.py``)
        if settings.reconcile.leases
        else LeaderLock(database_url=settings.database_url, data_dir=settings.data_dir)
    )
    if not leader.acquire(wait=True, stop=stop):
        return None
    worker = build()
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

    def every(
        seconds: float, run: Callable[[], object], job_id: str, *, at_once: bool = True, **extra: Any
    ) -> None:
        """One guarded interval job, first run now unless ``at_once`` is off; ``extra`` adds its name."""
        options: dict[str, Any] = {"id": job_id, **common, **extra}
        if at_once:  # left out otherwise: APScheduler reads an explicit None as "added paused"
            options["next_run_time"] = now
        scheduler.add_job(guarded(run), "interval", seconds=seconds, **options)

    every(settings.reconcile.resync_interval, worker.resync, "resync", name="reconcile resync")
    if worker.runs is not None:
        # the run index: its own jobs (not the pass lock), so a long pass never delays run status
        follower = worker.runs
        every(
            min(1.0, settings.reconcile.run_refresh_min),
            lambda: worker.check_leader_then(follower.follow),
            "runs-follow",
            name="runs follow",
        )
        every(
            settings.reconcile.run_discover_interval,
            lambda: worker.check_leader_then(follower.discover),
            "runs-discover",
            name="runs discover",
        )
    if worker.deliveries is not None:
        every(settings.webhooks.poll_interval, worker.dispatch, "webhooks")
    if worker.approvals is not None:  # inputs of paused runs, expiry, notifications
        approvals = worker.approvals
        every(settings.reconcile.poll_interval, lambda: worker.check_leader_then(approvals.run), "approvals")
    if worker.refs is not None:
        every(settings.webhooks.poll_refs_interval, worker.poll_refs, "webhook-refs")
    if worker.preflight is not None:  # deploy targets: Kubernetes only, beside the passes
        every(settings.reconcile.poll_interval, worker.check_targets, "preflight")
        every(
            settings.clusters.preflight_interval,
            lambda: worker.check_targets(every=True),
            "preflight-all",
            at_once=False,
        )
    if worker.promotions is not None:  # Kubernetes only: which run's images the targets run
        every(settings.clusters.promotion_interval, worker.observe_promotions, "promotions", at_once=False)
    if worker.scoped is not None:  # scoped deploy credentials: Kubernetes only, beside the passes
        every(settings.reconcile.poll_interval, worker.rotate_credentials, "scoped")
    scheduler.start()
    handle = WorkerHandle(worker=worker, scheduler=scheduler, leader=leader, lost=lost, on_leader=held)
    poll = guarded(worker.poll)

    def poll_loop() -> None:
        while not handle.stopped.is_set() and not lost.is_set():
            poll()
            wait = settings.reconcile.poll_interval
            due = worker.backoff.next_due()
            if due is not None:
                wait = min(wait, max(due, 0.05))
            deadline = time.monotonic() + wait
            while (left := deadline - time.monotonic()) > 0 and not handle.stopped.is_set():
                if worker.wake.wait(min(left, watch_interval) if changed is not None else left):
                    break
                if changed is not None and changed():
                    break
            # Writes come in bursts: start once they pause for ``watch_interval`` (at the latest after
            # ``SETTLE_MAX``), so a pass takes a burst at once instead of competing with
            # it for the database's write lock.
            settle_until = time.monotonic() + min(settings.reconcile.poll_interval, SETTLE_MAX)
            while time.monotonic() < settle_until and not handle.stopped.is_set():
                worker.wake.clear()
                if worker.wake.wait(watch_interval) or (changed is not None and changed()):
                    continue
                break
            worker.wake.clear()

    handle.poller = threading.Thread(target=poll_loop, name="reconcile-poll", daemon=True)
    handle.poller.start()
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
