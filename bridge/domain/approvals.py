"""Approvals: who may decide a pending ``input`` step, a pipeline's approval rules, and the states.

Pure rules (no I/O). ``verdict`` answers "may this caller approve this input now?" with a reason the
API shows (``approvable`` + ``reason``) and the approve route enforces, before Jenkins is asked:

* the input's ``submitter`` (comma-separated user ids and group names) names the caller, by user id
  or by a group, case-insensitively (Jenkins's default id strategies); a platform admin is not
  exempt (the bridge records who approved, not that an admin could);
* without a ``submitter``, the project's ``operator`` role or above;
* with ``separation_of_duties`` on the pipeline, whoever started the run may not approve it;
* with ``required`` approvals above one, each approver counts once (``already_approved``).
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

#: The most approvals a pipeline may require, and the longest expiry (a year).
MAX_REQUIRED = 10
MAX_EXPIRY_HOURS = 24 * 365


@dataclass(frozen=True)
class ApprovalRules:
    """A pipeline's approval rules (part of its definition; the defaults change nothing)."""

    separation_of_duties: bool = False
    #: A waiting input older than this is rejected by the worker; ``None``: it waits forever.
    expiry_hours: int | None = None
    #: Distinct approvers before the bridge proceeds in Jenkins.
    required: int = 1

    def expired(self, since: datetime, now: datetime) -> bool:
        return self.expiry_hours is not None and now - since >= timedelta(hours=self.expiry_hours)


class InputState(enum.StrEnum):
    WAITING = "waiting"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    #: decided or ended in Jenkins without the bridge (the run was stopped, someone answered there)
    GONE = "gone"


class Reason(enum.StrEnum):
    """Why a caller may or may not approve (shown as ``reason``; never matched by text)."""

    SUBMITTER = "listed-as-submitter"
    OPERATOR = "operator-of-project"
    NOT_SUBMITTER = "not-a-submitter"
    NOT_OPERATOR = "not-an-operator"
    STARTED_THE_RUN = "started-the-run"
    ALREADY_APPROVED = "already-approved"
    DECIDED = "already-decided"


APPROVABLE = frozenset({Reason.SUBMITTER, Reason.OPERATOR})


@dataclass(frozen=True)
class PendingInput:
    """An input a run waits on, as the bridge recorded it."""

    project: str
    pipeline: str
    number: int
    input_id: str
    message: str
    since: datetime
    ok: str = "Proceed"
    submitter: str | None = None
    parameters: Sequence[Mapping[str, Any]] = ()
    started_by: str | None = None
    state: InputState = InputState.WAITING
    decided_by: str | None = None
    decided_at: datetime | None = None
    comment: str | None = None
    approvals: tuple[str, ...] = ()
    id: int | None = None

    @property
    def submitters(self) -> tuple[str, ...]:
        return submitter_names(self.submitter)

    def with_state(self, state: InputState) -> PendingInput:
        return replace(self, state=state)


@dataclass(frozen=True)
class Caller:
    user: str
    groups: frozenset[str] = field(default_factory=frozenset)
    #: holds the project's operator role or above
    operator: bool = False


def submitter_names(submitter: str | None) -> tuple[str, ...]:
    return tuple(s.strip() for s in (submitter or "").split(",") if s.strip())


def is_submitter(user: str, groups: Collection[str], submitter: str | None) -> bool:
    """Jenkins's ``InputStepExecution.canSettle`` for a named list: the user id or one of the groups
    equals an entry, case-insensitively. ``False`` when there is no list (the caller decides)."""
    names = {n.casefold() for n in submitter_names(submitter)}
    return bool(names) and (user.casefold() in names or any(g.casefold() in names for g in groups))


def verdict(caller: Caller, pending: PendingInput, rules: ApprovalRules) -> Reason:
    """Whether ``caller`` may approve ``pending`` now; approvable exactly when in ``APPROVABLE``."""
    if pending.state is not InputState.WAITING:
        return Reason.DECIDED
    if pending.submitters:
        allowed = Reason.SUBMITTER if is_submitter(caller.user, caller.groups, pending.submitter) else None
        if allowed is None:
            return Reason.NOT_SUBMITTER
    elif caller.operator:
        allowed = Reason.OPERATOR
    else:
        return Reason.NOT_OPERATOR
    if (
        rules.separation_of_duties
        and pending.started_by
        and pending.started_by.casefold() == caller.user.casefold()
    ):
        return Reason.STARTED_THE_RUN
    if caller.user.casefold() in {a.casefold() for a in pending.approvals}:
        return Reason.ALREADY_APPROVED
    return allowed


def explain(reason: Reason, pending: PendingInput, rules: ApprovalRules) -> str:
    """The sentence a UI shows next to a greyed-out (or live) button."""
    who = ", ".join(pending.submitters)
    return {
        Reason.SUBMITTER: f"you are listed as a submitter ({who})",
        Reason.OPERATOR: "the input names no submitter: project operators and admins may approve",
        Reason.NOT_SUBMITTER: f"only {who} may approve this input",
        Reason.NOT_OPERATOR: "the input names no submitter: only project operators and admins may approve",
        Reason.STARTED_THE_RUN: "you started this run and the pipeline separates duties",
        Reason.ALREADY_APPROVED: f"you approved already; {rules.required} distinct approvals are required",
        Reason.DECIDED: f"the input is {pending.state.value}",
    }[reason]


def enough(approvals: Collection[str], rules: ApprovalRules) -> bool:
    return len({a.casefold() for a in approvals}) >= rules.required
