"""Deliveries after the 202: the worker job that starts their runs, and what the API shows of them.

``DeliveryDispatcher.run`` (a worker job, leader only) takes the queued deliveries that are due,
oldest first, and starts one run per delivery through ``start_run``. Jenkins unreachable: the
delivery is retried with exponential backoff (``webhooks.retry_base`` doubling up to
``webhooks.retry_max``) and the pass stops there, so an outage costs one failed request per pass,
not one per delivery. Any other refusal is retried the same way. A delivery still not started
``webhooks.max_age`` seconds after it was queued is ``failed`` with the last error (visible in the
API; an admin may redeliver it). A pipeline not yet in Jenkins is waited for without counting an
attempt; a deleted one fails the delivery.

A delivery is marked ``started`` in the transaction right after Jenkins queued its run. Should the
process die between the two, the next leader starts it again: the window is one HTTP round trip.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bridge.adapters.jenkins.port import RunPort
from bridge.domain.runs import Run, Trigger, TriggerKind
from bridge.errors import BridgeError, Conflict, NotFound, UpstreamUnavailable
from bridge.identity.attribution import Actor
from bridge.identity.principal import AuthSource
from bridge.store import Store
from bridge.store.unit import utcnow
from bridge.store.webhooks import FAILED, IGNORED, DeliveryRow

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
#: Seconds before a pipeline that is not in Jenkins yet is looked at again.
WAIT_FOR_SYNC = 2.0


def start_run(runs: RunPort, row: DeliveryRow) -> int:
    """Start the run a delivery asks for; its Jenkins queue item. The one place a delivery meets
    Jenkins (re-point it here when runs carry their trigger)."""
    # the trigger, in the one job parameter the bridge defines on every job: it also keeps Jenkins from
    # merging two deliveries' runs into one queue item (it merges identical queued requests)
    trigger = f"delivery={row.delivery} commit={row.commit[:12]}"
    actor = Actor(
        user=f"webhook:{row.provider}:{row.pusher or 'unknown'} {trigger}",
        source=AuthSource.ANONYMOUS,
        request_id=f"delivery-{row.id}",
    )
    return runs.trigger_run(f"{row.project}/{row.pipeline}", row.parameters, actor).number


def indexed_run(row: DeliveryRow, queue_id: int, now: datetime) -> Run:
    """The run index's row of a delivery's run: trigger ``webhook`` with the delivery id, commit and
    pusher; the worker's run follower turns the queue item into a build number."""
    heads = "refs/heads/"
    return Run(
        project=row.project,
        pipeline=row.pipeline,
        trigger=Trigger(
            TriggerKind.WEBHOOK,
            user=f"{row.provider}:{row.pusher}" if row.pusher else row.provider,
            delivery=row.delivery,
            commit=row.commit,
        ),
        queue_id=queue_id,
        branch=row.ref[len(heads) :] if row.ref.startswith(heads) else None,
        parameters=dict(row.parameters),
        queued_at=now,
        next_refresh_at=now,
    )


@dataclass
class DispatchResult:
    started: int = 0
    retried: int = 0
    failed: int = 0
    waiting: int = 0


@dataclass
class DeliveryDispatcher:
    store: Store
    runs: RunPort
    max_age: float = 86400.0
    retry_base: float = 2.0
    retry_max: float = 300.0
    batch: int = 100
    clock: Clock = utcnow
    start: Callable[[RunPort, DeliveryRow], int] = start_run
    #: The projects whose deliveries this worker starts (leases: those on its controllers); None: all.
    owns: Callable[[], Collection[str]] | None = None
    _pause_until: datetime | None = field(default=None, init=False)

    def backoff(self, attempts: int) -> float:
        return float(min(self.retry_max, self.retry_base * (2 ** max(0, attempts))))

    def run(self) -> DispatchResult:
        """One pass over the due deliveries (until Jenkins proves unreachable)."""
        result = DispatchResult()
        now = self.clock()
        if self._pause_until is not None and now < self._pause_until:
            return result
        while True:
            with self.store.read() as tx:
                due = tx.deliveries.due(now, self.batch)
            mine = due if self.owns is None else [r for r in due if r.project in set(self.owns())]
            for row in mine:
                if not self._one(row, result):
                    return result
            if len(due) < self.batch or not mine:
                return result
            now = self.clock()

    def _one(self, row: DeliveryRow, result: DispatchResult) -> bool:
        """Try one delivery; False when Jenkins is unreachable (stop the pass)."""
        now = self.clock()
        with self.store.read() as tx:
            stored = tx.pipelines.get(row.project, row.pipeline)
        if stored is None:
            with self.store.write() as tx:
                tx.deliveries.failed(row.id, "the pipeline no longer exists", attempted=False)
            result.failed += 1
            return True
        if stored.sync is None or stored.sync.synced_at is None:
            if self._too_old(row, now):
                self._give_up(row, "the pipeline never reached Jenkins", result)
            else:
                with self.store.write() as tx:
                    tx.deliveries.wait(
                        row.id, "waiting for the pipeline to reach Jenkins", _after(now, WAIT_FOR_SYNC)
                    )
                result.waiting += 1
            return True
        with self.store.write() as tx:  # a poll row and a delivery for one commit: one run
            earlier = tx.deliveries.started_before(row)
            if earlier is not None:
                tx.deliveries.skipped(row.id, f"commit already run for this ref (delivery {earlier})")
        if earlier is not None:
            return True
        try:
            queue_id = self.start(self.runs, row)
        except BridgeError as e:
            reachable = not isinstance(e, UpstreamUnavailable)
            error = e.detail if not isinstance(e, NotFound) else "the job is missing in Jenkins"
            if self._too_old(row, now):
                self._give_up(row, error, result)
            else:
                at = _after(now, self.backoff(row.attempts))
                with self.store.write() as tx:
                    tx.deliveries.retry(row.id, error, at)
                result.retried += 1
                if not reachable:
                    self._pause_until = at
            return reachable
        with self.store.write() as tx:
            tx.deliveries.started(row.id, queue_id)
            tx.runs.add(indexed_run(row, queue_id, now))  # the run index knows it came from this push
        self._pause_until = None
        result.started += 1
        log.info(
            "delivery %d (%s %s) started %s/%s: queue item %d",
            row.id,
            row.provider,
            row.ref,
            row.project,
            row.pipeline,
            queue_id,
        )
        return True

    def _too_old(self, row: DeliveryRow, now: datetime) -> bool:
        return (now - row.queued_at).total_seconds() > self.max_age

    def _give_up(self, row: DeliveryRow, error: str, result: DispatchResult) -> None:
        message = f"gave up after {row.attempts + 1} attempts over {self.max_age:.0f}s: {error}"
        with self.store.write() as tx:
            tx.deliveries.failed(row.id, message)
        result.failed += 1
        log.warning("delivery %d for %s/%s failed: %s", row.id, row.project, row.pipeline, message)


def _after(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)


class DeliveryService:
    """The deliveries of a project (or one pipeline), newest first, and redelivery."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def list(
        self, project: str, pipeline: str | None, *, before: int | None, limit: int
    ) -> list[DeliveryRow]:
        from bridge.services.common import project_must_exist

        with self.store.read() as tx:
            project_must_exist(tx, project)
            if pipeline is not None and tx.pipelines.get(project, pipeline) is None:
                raise NotFound(f"pipeline {pipeline!r} does not exist in project {project!r}")
            return tx.deliveries.list(project, pipeline, before=before, limit=limit)

    def redeliver(self, project: str, delivery_id: int) -> DeliveryRow:
        """Queue a delivery again (failed, ignored or started alike): the worker starts a new run."""
        with self.store.write() as tx:
            row = tx.deliveries.get(delivery_id)
            if row is None or row.project != project or not row.project:
                raise NotFound(f"delivery {delivery_id} does not exist in project {project!r}")
            if row.status == IGNORED:
                raise Conflict(f"delivery {delivery_id} was ignored ({row.error}): it asks for no run")
            tx.deliveries.requeue(delivery_id)
            again = tx.deliveries.get(delivery_id)
        assert again is not None
        return again


__all__ = ["FAILED", "DeliveryDispatcher", "DeliveryService", "DispatchResult", "start_run"]
