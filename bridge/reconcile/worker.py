"""The reconciliation worker's passes: dirty keys, projects due for a retry, resyncs asked for, full resyncs.

``poll`` (woken by a write in this process, else every ``reconcile.poll_interval``) validates the
Jenkinsfiles Jenkins could not judge when they were written (``validate.py``), takes the keys written
through the API (merged by the store), the projects whose backoff is over (``backoff.py``) and the
resync requests queued through the API (``POST /api/v1/sync``, ``POST /api/v1/projects/{p}/sync``),
and reconciles them in one pass; ``resync`` is the periodic full pass that repairs drift.
``check_targets`` runs the deploy target preflight (``preflight.py``, Kubernetes only, never Jenkins)
beside the passes, under the preflight's own lock.

``dispatch`` (starts the runs of webhook deliveries) and ``poll_refs`` (the missed-push safety net)
are jobs of their own: they take no pass lock, so a long pass never holds a push back.

Passes share one lock, so they never overlap. A project the pass could not finish (Jenkins unreachable,
429, 5xx) waits for its backoff, not for the next poll; a success clears it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from bridge.reconcile.backoff import Backoff
from bridge.reconcile.controllers import ControllerPasses
from bridge.reconcile.leader import LeadershipLost
from bridge.reconcile.outcome import PassResult
from bridge.reconcile.ports import DesiredState, Ref
from bridge.reconcile.provision import Provisioner

if TYPE_CHECKING:
    from bridge.reconcile.controllers import ControllerFollowers
    from bridge.reconcile.leases import LeaseKeeper
    from bridge.reconcile.preflight import Preflight, PreflightResult
    from bridge.reconcile.runsync import RunFollower

log = logging.getLogger(__name__)


class Resync(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def project(self) -> str | None: ...

    @property
    def deep(self) -> bool: ...


class ResyncRequests(Protocol):
    """Resyncs asked for through the API (``bridge.store.resyncs.ResyncQueue``)."""

    def take(self) -> Sequence[Resync]: ...

    def finish(self, ids: Sequence[int], *, ok: bool, message: str) -> None: ...


class Job(Protocol):
    """A worker job on its own schedule (``services.deliveries.DeliveryDispatcher``,
    ``services.refpoll.RefPoller``)."""

    def run(self) -> object: ...


@dataclass
class Worker:
    #: One controller's provisioner, or one per controller (``controllers.py``).
    provisioner: Provisioner | ControllerPasses
    desired: DesiredState
    batch: int = 500
    #: Asked inside the pass lock before each scheduled pass; False raises ``LeadershipLost``.
    still_leader: Callable[[], bool] = lambda: True
    #: Asks Jenkins about Jenkinsfiles left pending (``validate.PendingValidator.run``) before each pass.
    validate: Callable[[], object] | None = None
    resyncs: ResyncRequests | None = None
    #: The run index's side (``runsync.py``): follows active runs and discovers runs started in Jenkins.
    runs: RunFollower | ControllerFollowers | None = None
    #: Starts the runs of queued webhook deliveries (``services.deliveries.DeliveryDispatcher``).
    deliveries: Job | None = None
    #: Records paused runs' inputs, expires old ones, sends notifications (``services.approval_jobs``).
    approvals: Job | None = None
    #: Lists watched repositories' refs for commits no delivery announced (``services.refpoll.RefPoller``).
    refs: Job | None = None
    #: Checks deploy targets' namespaces (``preflight.py``); runs beside passes, under its own lock.
    preflight: Preflight | None = None
    backoff: Backoff = field(default_factory=Backoff)
    #: Set when work was queued in this process (``Store.subscribe``): the poll loop runs at once.
    wake: threading.Event = field(default_factory=threading.Event)
    #: The controller leases this worker keeps (``leases.py``; several workers on PostgreSQL).
    leases: LeaseKeeper | None = None
    #: Set when this worker took a controller's lease: the next poll is a full pass.
    full_pass: threading.Event = field(default_factory=threading.Event)
    #: Told about every pass that ran (trigger ``event`` or ``resync``, result, seconds): metrics and
    #: the periodic summary (``summary.py``) hook in here.
    on_pass: Callable[[str, PassResult, float], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _check_leader(self) -> None:
        if not self.still_leader():
            raise LeadershipLost("the scheduler lock was lost; another worker may hold it now")

    def check_leader_then(self, run: Callable[[], object]) -> object:
        """``run`` unless the scheduler lock is gone (then ``LeadershipLost``)."""
        self._check_leader()
        return run()

    def poll(self) -> PassResult | None:
        """Reconcile dirty keys, projects due for a retry and requested resyncs, in one pass."""
        with self._lock:
            self._check_leader()
            if self.validate is not None:
                self.validate()  # what it releases is queued, so this very pass syncs it
            keys = self._take_all_dirty()
            projects = {k.project for k in keys} | self.backoff.due()
            if isinstance(self.provisioner, ControllerPasses):  # moves whose new folder is ready
                projects |= self.provisioner.due_moves()
            requests = list(self.resyncs.take()) if self.resyncs is not None else []
            everything = any(r.project is None for r in requests) or self.full_pass.is_set()
            self.full_pass.clear()
            projects |= {r.project for r in requests if r.project is not None}
            if not projects and not everything:
                return None
            self.provisioner.invalidate(keys)
            deep = True if any(r.deep for r in requests) else None
            started = time.monotonic()
            result = self.provisioner.run(None if everything else sorted(projects), deep=deep)
            self._settle(projects, result)
            self._answer(requests, result)
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

    def dispatch(self) -> object:
        """Start the runs of due webhook deliveries (its own job: never waits for a pass)."""
        self._check_leader()
        return None if self.deliveries is None else self.deliveries.run()

    def poll_refs(self) -> object:
        """The missed-push safety net (its own job, as slow as ``webhooks.poll_refs_interval``)."""
        self._check_leader()
        return None if self.refs is None else self.refs.run()

    def resync(self) -> PassResult:
        """A full pass over every project and tombstone."""
        with self._lock:
            self._check_leader()
            if self.validate is not None:
                self.validate()
            started = time.monotonic()
            result = self.provisioner.run()
            self._settle({a.ref.project for a in result.actions}, result)
            _log_pass("resync", result)
            self._tell("resync", result, started)
            return result

    def check_targets(self, *, every: bool = False) -> PreflightResult | None:
        """The deploy target preflight: requested targets, or all of them with ``every``."""
        if self.preflight is None:
            return None
        self._check_leader()
        return self.preflight.run(every=every)

    def _tell(self, trigger: str, result: PassResult, started: float) -> None:
        if self.on_pass is not None:
            try:
                self.on_pass(trigger, result, time.monotonic() - started)
            except Exception:  # a metrics problem must never stop reconciliation
                log.exception("recording the %s pass failed", trigger)

    def _take_all_dirty(self) -> list[Ref]:
        keys: list[Ref] = []
        while True:
            taken: Sequence[Ref] = self.desired.take_dirty(self.batch)
            keys.extend(taken)
            if len(taken) < self.batch:
                return keys

    def _settle(self, attempted: set[str], result: PassResult) -> None:
        self.backoff.succeeded(attempted - result.retry)
        if result.retry:
            self.backoff.failed(result.retry, result.retry_after)

    def _answer(self, requests: Sequence[Resync], result: PassResult) -> None:
        if self.resyncs is None or not requests:
            return
        message = f"{result.writes} writes, {len(result.errors)} errors"
        if result.retry:
            message += (
                f"; Jenkins could not be reached for {len(result.retry)} projects (retried with backoff)"
            )
        self.resyncs.finish([r.id for r in requests], ok=not result.retry, message=message)


def _log_pass(what: str, result: PassResult) -> None:
    if result.writes or result.errors or result.retry:
        log.info(
            "%s pass: %d writes, %d errors, %d projects to retry",
            what,
            result.writes,
            len(result.errors),
            len(result.retry),
        )
