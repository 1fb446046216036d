"""The pure rules of scoped deploy credentials: which pairs get one, what a run does, when a token is
rotated, and the settings that bound it."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.domain.scoped import (
    Grant,
    Rotation,
    ScopedState,
    TargetRow,
    binding_name,
    is_ours,
    labels,
    plan,
    rotation_time,
    wanted,
)
from bridge.errors import ConfigurationError
from tests.fixtures.app import make_settings

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ROTATION = Rotation(fraction=0.5, jitter=0.1, min_validity=1200)
RETRY = timedelta(seconds=30)


def test_only_targets_on_scoped_clusters_the_workspace_is_entitled_to_are_granted() -> None:
    targets = [
        TargetRow("demo", "ws", "rohan", "dev"),
        TargetRow("demo", "ws", "rohan", "extra", "view"),
        TargetRow("demo", "ws", "gondor", "prod"),  # full policy: the cluster's own kubeconfig
        TargetRow("demo", "ws", "mordor", "prod"),  # not the workspace's
        TargetRow("other", "ws2", "rohan", "dev"),  # its workspace is not entitled to rohan
    ]
    entitled = {"ws": ("rohan", "gondor"), "ws2": ("gondor",)}
    scoped = {"rohan": True, "gondor": False, "mordor": True}
    assert wanted(targets, entitled, scoped, "edit") == {
        ("demo", "rohan"): frozenset({Grant("dev", "edit"), Grant("extra", "view")})
    }


def test_a_new_pair_is_granted_and_minted_a_due_one_minted_a_changed_one_regranted_a_gone_one_revoked() -> (
    None
):
    grants = frozenset({Grant("dev", "edit")})
    fresh = ScopedState(
        "a", "rohan", grants, T0, T0 + timedelta(hours=1), T0 + timedelta(minutes=30), has_token=True
    )
    want = {
        ("new", "rohan"): grants,
        ("a", "rohan"): grants,
        ("b", "rohan"): frozenset({Grant("prod", "edit")}),
    }
    states = {
        ("a", "rohan"): fresh,
        ("b", "rohan"): ScopedState("b", "rohan", grants, has_token=True, rotate_at=T0 + timedelta(hours=1)),
        ("gone", "rohan"): ScopedState("gone", "rohan", grants, has_token=True),
    }
    steps = plan(want, states, T0 + timedelta(minutes=10), retry_after=RETRY)
    by_project = {w.project: w for w in steps.work}
    assert set(by_project) == {"new", "b"}  # "a" is current: nothing to do
    assert by_project["new"].ensure and by_project["new"].mint
    assert by_project["b"].ensure and not by_project["b"].mint
    assert by_project["b"].stale == grants
    assert [s.project for s in steps.revoke] == ["gone"]
    # at the rotation time "a" gets a new token
    later = plan(want, states, T0 + timedelta(minutes=30), retry_after=RETRY)
    assert any(w.project == "a" and w.mint for w in later.work)


def test_a_failed_pair_is_retried_only_after_the_retry_interval() -> None:
    grants = frozenset({Grant("dev", "edit")})
    failed = ScopedState("a", "rohan", error="may not create rolebindings", error_at=T0)
    assert (
        plan(
            {("a", "rohan"): grants}, {("a", "rohan"): failed}, T0 + timedelta(seconds=5), retry_after=RETRY
        ).work
        == []
    )
    again = plan({("a", "rohan"): grants}, {("a", "rohan"): failed}, T0 + RETRY, retry_after=RETRY).work
    assert len(again) == 1 and again[0].mint
    assert plan({}, {("a", "rohan"): failed}, T0 + timedelta(seconds=5), retry_after=RETRY).revoke == []


def test_rotations_spread_over_the_jitter_window_and_keep_the_minimum_validity() -> None:
    expires = T0 + timedelta(hours=1)
    at = [
        (rotation_time(f"p{i}", c, T0, expires, ROTATION) - T0).total_seconds()
        for i in range(500)
        for c in ("rohan", "gondor", "shire")
    ]
    assert min(at) >= 0.4 * 3600 and max(at) <= 0.6 * 3600  # half the life ± 10 %
    assert max(at) - min(at) > 0.19 * 3600  # spread over the whole window, not a burst
    assert abs(statistics.mean(at) - 1800) < 30
    per_second = Counter(int(a) for a in at)
    assert max(per_second.values()) <= 10  # 1,500 credentials over 720 s: about two a second, no burst
    assert all(3600 - a >= ROTATION.min_validity for a in at)
    # an apiserver that shortened the token (its maximum) still leaves the minimum validity
    short = rotation_time("p", "rohan", T0, T0 + timedelta(minutes=25), ROTATION)
    assert short == T0 + timedelta(minutes=5)
    # the same token always rotates at the same time (a restart does not move it)
    assert rotation_time("p", "rohan", T0, expires, ROTATION) == rotation_time(
        "p", "rohan", T0, expires, ROTATION
    )


def test_names_and_labels() -> None:
    assert binding_name("demo", "edit") == "jenkins-bridge-demo-edit"
    odd = binding_name("demo", "system:aggregate-to-edit")
    assert odd.startswith("jenkins-bridge-demo-system-aggregate-to-edit-") and ":" not in odd
    assert odd != binding_name("demo", "system-aggregate-to-edit")
    assert is_ours(labels("demo"), "demo")
    assert not is_ours(labels("demo"), "other") and not is_ours({}, "demo") and not is_ours(None, "demo")


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"BRIDGE_SCOPED_TOKEN_LIFETIME": "300"}, "at least 600"),
        ({"BRIDGE_SCOPED_ROTATE_AT": "1.5"}, "ROTATE_AT"),
        ({"BRIDGE_SCOPED_CLUSTERS": "rohan=some"}, "full or scoped"),
        ({"BRIDGE_SCOPED_CLUSTERS": "rohan=scoped,rohan=full"}, "twice"),
        ({"BRIDGE_SCOPED_NAMESPACE": "Not_A_Label"}, "DNS-1123"),
        ({"BRIDGE_SCOPED_MIN_VALIDITY": "3000"}, "MIN_VALIDITY"),
    ],
)
def test_settings_refuse_what_cannot_work(tmp_path: Path, env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make_settings(tmp_path, **env)
    assert fragment in str(caught.value)


def test_settings_defaults_keep_full_and_name_the_policy_per_cluster(tmp_path: Path) -> None:
    s = make_settings(tmp_path).scoped
    assert s.policy == "full" and s.policy_of("rohan") == "full"
    s = make_settings(tmp_path, BRIDGE_SCOPED_CLUSTERS="rohan=scoped").scoped
    assert s.policy_of("rohan") == "scoped" and s.policy_of("gondor") == "full"
    assert make_settings(tmp_path, BRIDGE_SCOPED_AUDIENCES="a, b").scoped.audience_list() == ("a", "b")
