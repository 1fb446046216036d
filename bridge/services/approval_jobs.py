"""The worker's approval job: inputs of paused runs recorded, expired inputs rejected, events notified.

One ``run`` (every ``reconcile.poll_interval``, beside the passes):

1. **observe**: every run the index last saw paused, and every run with an input recorded as waiting,
   is asked which inputs it waits on (``ApprovalService.observe``): new ones get a ``waiting`` event,
   ones Jenkins no longer waits on (answered in Jenkins, run stopped) are closed as ``gone``;
2. **expire**: a waiting input older than its pipeline's ``expiry_hours`` is aborted in Jenkins by the
   service account ("expired … rejected by jenkins-bridge" noted on the run), closed as ``expired``
   with an ``expired`` event and an audit entry (actor ``jenkins-bridge``, action ``input.expire``),
   in one transaction;
3. **notify**: queued events are POSTed to their project's notification URL, signed
   (``approval_notify.Notifier``), with retries.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bridge.audit.log import AuditEntry, Outcome, append_in
from bridge.domain.approvals import ApprovalRules, InputState, PendingInput
from bridge.errors import BridgeError, NotFound
from bridge.services.approval_notify import Notifier
from bridge.services.approvals import ApprovalService, record_event
from bridge.services.runs import job_path

log = logging.getLogger(__name__)

#: Who the audit log and the run's description name for an expiry.
EXPIRY_ACTOR = "jenkins-bridge"


@dataclass(frozen=True)
class JobResult:
    observed: int = 0
    expired: int = 0
    notified: int = 0


class ApprovalJobs:
    def __init__(
        self,
        service: ApprovalService,
        notifier: Notifier,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.service, self.notifier, self.clock = service, notifier, clock

    def run(self) -> JobResult:
        observed = self.observe()
        expired = self.expire()
        return JobResult(observed=observed, expired=expired, notified=self.notifier.run())

    def observe(self) -> int:
        store = self.service.store
        with store.read() as tx:
            keys = {(r.project, r.pipeline, r.number) for r in tx.runs.paused() if r.number is not None}
            keys |= {(p.project, p.pipeline, p.number) for p in tx.approvals.waiting()}
        done = 0
        for project, pipeline, number in sorted(keys):
            try:
                self.service.observe(project, pipeline, number)
                done += 1
            except BridgeError as e:  # Jenkins down, the run or pipeline gone: next time
                log.info("could not read the inputs of %s/%s #%d: %s", project, pipeline, number, e.detail)
        return done

    def expire(self) -> int:
        store = self.service.store
        now = self.clock()
        with store.read() as tx:
            waiting = tx.approvals.waiting()
            rules: dict[tuple[str, str], ApprovalRules] = {}
            for p in waiting:
                stored = tx.pipelines.get(p.project, p.pipeline)
                rules[(p.project, p.pipeline)] = stored.obj.approvals if stored else ApprovalRules()
        done = 0
        for p in waiting:
            r = rules[(p.project, p.pipeline)]
            if r.expired(p.since, now) and self._expire(p, r):
                done += 1
        return done

    def _expire(self, p: PendingInput, rules: ApprovalRules) -> bool:
        note = (
            f"Input {p.input_id} expired after {rules.expiry_hours} hours without a decision: "
            f"rejected by {EXPIRY_ACTOR}"
        )
        try:
            self.service.runs.expire_input(job_path(p.project, p.pipeline), p.number, p.input_id, note)
        except NotFound:  # no longer waiting in Jenkins: the next observation closes it
            return False
        except BridgeError as e:
            log.warning(
                "could not expire input %s of %s/%s #%d: %s",
                p.input_id,
                p.project,
                p.pipeline,
                p.number,
                e.detail,
            )
            return False
        self.service.views.changed(job_path(p.project, p.pipeline), p.number)
        with self.service.store.write() as tx:
            if not tx.approvals.decide(
                p.id or 0, InputState.EXPIRED, None, note, also_from=(InputState.GONE,)
            ):
                return False
            now = tx.approvals.get(p.project, p.pipeline, p.number, p.input_id) or p.with_state(
                InputState.EXPIRED
            )
            record_event(tx, "expired", now, rules, user=EXPIRY_ACTOR, comment=note)
            run = f"/api/v1/projects/{p.project}/pipelines/{p.pipeline}/runs/{p.number}"
            path = f"{run}/inputs/{p.input_id}/expire"
            append_in(
                tx.conn,
                AuditEntry(
                    at=self.clock(),
                    actor=EXPIRY_ACTOR,
                    actor_source="worker",
                    address="worker",
                    method="WORKER",
                    path=path,
                    action="input.expire",
                    outcome=Outcome.SUCCESS,
                    status=0,
                    request_id=uuid.uuid4().hex,
                    project=p.project,
                ),
            )
        log.info("input %s of %s/%s #%d expired: rejected", p.input_id, p.project, p.pipeline, p.number)
        return True
