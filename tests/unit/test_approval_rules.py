"""The approval rules as pure functions: submitter users and groups, operators, separation of duties,
distinct approvers, expiry, and the notification signature receivers verify."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from bridge.domain.approvals import (
    APPROVABLE,
    ApprovalRules,
    Caller,
    InputState,
    PendingInput,
    Reason,
    enough,
    explain,
    is_submitter,
    verdict,
)
from bridge.identity.attribution import Actor
from bridge.services.approval_notify import signature

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def pending(submitter: str | None = None, **kw: object) -> PendingInput:
    return PendingInput("p", "pipe", 1, "Ship", "Ship it?", T0, submitter=submitter, started_by="alice", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("user", "groups", "submitter", "expected"),
    [
        ("bob", (), "bob", True),
        ("Bob", (), " BOB , dave", True),
        ("bob", ("Release-Managers",), "release-managers", True),
        ("bob", ("qa",), "release-managers,dave", False),
        ("bob", (), "", False),
        ("bob", (), None, False),
        ("bo", (), "bob", False),
    ],
)
def test_is_submitter_matches_ids_and_groups_ignoring_case(
    user: str, groups: tuple[str, ...], submitter: str | None, expected: bool
) -> None:
    assert is_submitter(user, groups, submitter) is expected
    assert Actor(user, frozenset(groups)).may_submit(submitter) is (expected or not (submitter or "").strip())


def test_verdicts_and_their_reasons() -> None:
    rules = ApprovalRules()
    operator, viewer = Caller("bob", operator=True), Caller("vera")
    assert verdict(operator, pending(), rules) is Reason.OPERATOR
    assert verdict(viewer, pending(), rules) is Reason.NOT_OPERATOR
    assert verdict(operator, pending("dave"), rules) is Reason.NOT_SUBMITTER
    assert verdict(viewer, pending("vera"), rules) is Reason.SUBMITTER  # the route still needs operator
    assert verdict(Caller("alice", operator=True), pending(), rules) is Reason.OPERATOR
    separated = ApprovalRules(separation_of_duties=True)
    assert verdict(Caller("ALICE", operator=True), pending(), separated) is Reason.STARTED_THE_RUN
    assert (
        verdict(operator, pending(approvals=("Bob",)), ApprovalRules(required=2)) is Reason.ALREADY_APPROVED
    )
    assert verdict(operator, pending(state=InputState.GONE), rules) is Reason.DECIDED
    assert {r for r in Reason if r in APPROVABLE} == {Reason.SUBMITTER, Reason.OPERATOR}
    assert "only dave may approve" in explain(Reason.NOT_SUBMITTER, pending("dave"), rules)


def test_enough_counts_distinct_approvers_and_expiry_counts_from_since() -> None:
    two = ApprovalRules(required=2, expiry_hours=3)
    assert not enough(["bob"], two) and not enough(["bob", "BOB"], two) and enough(["bob", "carol"], two)
    assert not two.expired(T0, T0 + timedelta(hours=3) - timedelta(seconds=1))
    assert two.expired(T0, T0 + timedelta(hours=3))
    assert not ApprovalRules().expired(T0, T0 + timedelta(days=999))


def test_the_signature_is_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"event":"approved","user":"bob"}'
    expected = hmac.new(b"k" * 16, body, hashlib.sha256).hexdigest()
    assert signature("k" * 16, body) == f"sha256={expected}"
    assert signature("k" * 16, body + b" ") != signature("k" * 16, body)
