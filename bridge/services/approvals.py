"""Approvals: the inputs runs wait on, who may decide them, and the decisions (approve, reject).

The bridge records every input it sees waiting (``observe``: the run's ``input/api/json``, through the
coalescing cache) in ``approval_inputs``, with who started the run and since when; the inbox reads that
table only. A decision is checked against the rules (``bridge.domain.approvals.verdict``) from the
stored row before Jenkins is asked; only then does the ``RunPort`` proceed or abort the input in
Jenkins for the real user (in ``user-token`` mode Jenkins checks the submitter list again, and both
must agree). With more than one required approval, earlier approvals are stored as votes and the
input proceeds in Jenkins with the last one. Each decision writes an approval event (the SSE stream
and the project's notification webhook read them) in the same transaction as the API's audit entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bridge.adapters.jenkins.port import RunPort
from bridge.adapters.jenkins.runport import InputStep
from bridge.domain.approvals import (
    APPROVABLE,
    ApprovalRules,
    Caller,
    InputState,
    PendingInput,
    Reason,
    enough,
    explain,
    verdict,
)
from bridge.domain.runs import Run, Trigger, TriggerKind
from bridge.errors import (
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    UpstreamError,
    UpstreamUnavailable,
)
from bridge.identity.attribution import Actor
from bridge.services.common import project_must_exist
from bridge.services.runs import Views, job_path
from bridge.store import Store
from bridge.store.unit import Tx

#: Why an input the bridge recorded as waiting was closed without a decision through the bridge.
GONE_NOTE = "no longer pending in Jenkins"


@dataclass(frozen=True)
class Assessed:
    """A pending input with what it means for one caller."""

    input: PendingInput
    rules: ApprovalRules
    reason: Reason

    @property
    def approvable(self) -> bool:
        return self.reason in APPROVABLE

    @property
    def explanation(self) -> str:
        return explain(self.reason, self.input, self.rules)


def event_body(p: PendingInput, rules: ApprovalRules, **extra: Any) -> dict[str, Any]:
    """What an approval event (stream and notification) says about an input."""
    return {
        "project": p.project,
        "pipeline": p.pipeline,
        "run": p.number,
        "input": p.input_id,
        "message": p.message,
        "submitter": list(p.submitters),
        "started_by": p.started_by,
        "since": p.since.isoformat(),
        "state": p.state.value,
        "approvals": list(p.approvals),
        "required": rules.required,
        **extra,
    }


def record_event(tx: Tx, kind: str, p: PendingInput, rules: ApprovalRules, **extra: Any) -> None:
    notify = tx.notifications.get(p.project) is not None
    tx.approvals.add_event(p.project, kind, event_body(p, rules, **extra), notify=notify)


class ApprovalService:
    def __init__(
        self,
        store: Store,
        runs: RunPort,
        views: Views,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store, self.runs, self.views, self.clock = store, runs, views, clock

    # -- reads ---------------------------------------------------------------------------------

    def rules(self, project: str, pipeline: str) -> ApprovalRules:
        with self.store.read() as tx:
            project_must_exist(tx, project)
            found = tx.pipelines.get(project, pipeline)
        if found is None:
            raise NotFound(f"pipeline {pipeline!r} does not exist in project {project!r}")
        return found.obj.approvals

    def observe(
        self, project: str, pipeline: str, number: int, rules: ApprovalRules | None = None
    ) -> list[PendingInput]:
        """Ask Jenkins which inputs the run waits on; record new ones (a ``waiting`` event each) and
        close recorded ones Jenkins no longer waits on (``gone``). Every input of the run, oldest first.
        ``rules``: the pipeline's, when the caller has read them already."""
        if rules is None:
            rules = self.rules(project, pipeline)
        with self.store.read() as tx:
            run = tx.runs.get(project, pipeline, number)
        if run is None:  # retention or Jenkins forgot it: nothing of it waits any more
            self._record(Run(project, pipeline, Trigger(TriggerKind.JENKINS), number=number), [], rules)
            raise NotFound(f"run {number} of pipeline {project}/{pipeline} is not in the run index")
        steps = [] if run.finished else list(self.views.input_steps(job_path(project, pipeline), number))
        return self._record(run, steps, rules)

    def _record(self, run: Run, steps: list[InputStep], rules: ApprovalRules) -> list[PendingInput]:
        project, pipeline, number = run.project, run.pipeline, run.number or 0
        with self.store.write() as tx:
            known = {p.input_id: p for p in tx.approvals.for_run(project, pipeline, number)}
            waiting = {s.id for s in steps}
            for step in steps:
                if step.id in known:
                    continue
                new = tx.approvals.add(
                    PendingInput(
                        project=project,
                        pipeline=pipeline,
                        number=number,
                        input_id=step.id,
                        message=step.message,
                        ok=step.ok,
                        submitter=step.submitter,
                        parameters=list(step.parameters),
                        started_by=run.trigger.user,
                        since=self.clock(),
                    )
                )
                record_event(tx, "waiting", new, rules)
            for p in known.values():
                gone = p.state is InputState.WAITING and p.input_id not in waiting
                if gone and tx.approvals.decide(p.id or 0, InputState.GONE, None, GONE_NOTE):
                    record_event(tx, "gone", p.with_state(InputState.GONE), rules)
            return tx.approvals.for_run(project, pipeline, number)

    def run_inputs(self, project: str, pipeline: str, number: int, caller: Caller) -> list[Assessed]:
        """The run's inputs, asked of Jenkins first; what the bridge recorded when Jenkins cannot answer."""
        rules = self.rules(project, pipeline)
        try:
            found = self.observe(project, pipeline, number, rules)
        except (UpstreamError, UpstreamUnavailable):
            with self.store.read() as tx:
                found = tx.approvals.for_run(project, pipeline, number)
        return [Assessed(p, rules, verdict(caller, p, rules)) for p in found]

    def inbox(
        self, projects: Mapping[str, bool], caller: Caller, *, after_id: int, limit: int
    ) -> list[Assessed]:
        """Waiting inputs of ``projects`` (name → the caller is an operator there), in id order, each
        assessed for ``caller`` as an operator of its project or not."""
        with self.store.read() as tx:
            found = tx.approvals.waiting(projects=list(projects), after_id=after_id, limit=limit)
            rules = {}
            for p in found:
                key = (p.project, p.pipeline)
                if key not in rules:
                    stored = tx.pipelines.get(*key)
                    rules[key] = stored.obj.approvals if stored is not None else ApprovalRules()
        out = []
        for p in found:
            there = Caller(caller.user, caller.groups, operator=projects[p.project])
            r = rules[(p.project, p.pipeline)]
            out.append(Assessed(p, r, verdict(there, p, r)))
        return out

    # -- decisions -----------------------------------------------------------------------------

    def _pending(self, project: str, pipeline: str, number: int, input_id: str) -> PendingInput:
        with self.store.read() as tx:
            found = tx.approvals.get(project, pipeline, number, input_id)
        if found is None:  # not seen yet by the worker: ask Jenkins now
            found = next((p for p in self.observe(project, pipeline, number) if p.input_id == input_id), None)
        if found is None:
            raise NotFound(f"run {number} of {project}/{pipeline} does not wait on input {input_id!r}")
        return found

    def approve(
        self,
        project: str,
        pipeline: str,
        number: int,
        input_id: str,
        caller: Caller,
        actor: Actor,
        *,
        parameters: Mapping[str, str],
        comment: str | None,
    ) -> Assessed:
        """One approval; the input proceeds in Jenkins once ``rules.required`` distinct users approved."""
        rules = self.rules(project, pipeline)
        pending = self._pending(project, pipeline, number, input_id)
        reason = verdict(caller, pending, rules)
        if reason is Reason.DECIDED:
            raise Conflict(explain(reason, pending, rules))
        if reason not in APPROVABLE:
            raise Forbidden(
                f"{caller.user} may not approve input {input_id}: {explain(reason, pending, rules)}"
            )
        _check_values(pending, parameters)
        approvals = (*pending.approvals, caller.user)
        if not enough(approvals, rules):
            with self.store.write() as tx:
                tx.approvals.vote(pending.id or 0, caller.user, comment)
                now = tx.approvals.get(project, pipeline, number, input_id) or pending
                record_event(tx, "approval", now, rules, user=caller.user, comment=comment)
            return Assessed(now, rules, Reason.ALREADY_APPROVED)
        self.runs.proceed_input(
            job_path(project, pipeline), number, input_id, parameters, actor, earlier=pending.approvals
        )
        return self._decided(pending, rules, InputState.APPROVED, caller.user, comment, vote=True)

    def reject(
        self, project: str, pipeline: str, number: int, input_id: str, actor: Actor, *, comment: str | None
    ) -> Assessed:
        """Reject (abort) the input: the run ends aborted. Project operators may, as Jenkins's Job/Cancel."""
        rules = self.rules(project, pipeline)
        pending = self._pending(project, pipeline, number, input_id)
        if pending.state is not InputState.WAITING:
            raise Conflict(explain(Reason.DECIDED, pending, rules))
        self.runs.abort_input(job_path(project, pipeline), number, input_id, actor)
        return self._decided(pending, rules, InputState.REJECTED, actor.user, comment, vote=False)

    def _decided(
        self,
        pending: PendingInput,
        rules: ApprovalRules,
        state: InputState,
        user: str | None,
        comment: str | None,
        *,
        vote: bool,
    ) -> Assessed:
        """Write a decision Jenkins carried out (it may have been marked ``gone`` by an observation
        racing with it; the bridge's decision replaces that)."""
        self.views.changed(job_path(pending.project, pending.pipeline), pending.number)
        with self.store.write() as tx:
            if vote and user is not None:
                tx.approvals.vote(pending.id or 0, user, comment)
            tx.approvals.decide(pending.id or 0, state, user, comment, also_from=(InputState.GONE,))
            now = tx.approvals.get(pending.project, pending.pipeline, pending.number, pending.input_id)
            assert now is not None
            record_event(tx, state.value, now, rules, user=user, comment=comment)
        return Assessed(now, rules, Reason.DECIDED)


def _check_values(pending: PendingInput, values: Mapping[str, str]) -> None:
    names = {str(p.get("name")) for p in pending.parameters}
    unknown = sorted(set(values) - names)
    if unknown:
        raise InvalidRequest(
            f"input {pending.input_id} has no parameter {', '.join(unknown)} "
            f"(it has {sorted(names) or 'none'})",
            errors=[
                {"field": f"parameters.{n}", "message": "is not a parameter of this input"} for n in unknown
            ],
        )
