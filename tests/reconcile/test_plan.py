"""plan(): desired stamps vs observed items → actions, on plain data."""

from __future__ import annotations

from bridge.domain.plan import CREDENTIAL, PIPELINE, PROJECT, Action, Op, Reason, Ref, Seen, plan

NOT_MANAGED = Reason.NOT_MANAGED

P = Ref(PROJECT, "demo")
C = Ref(CREDENTIAL, "demo", "git")
J = Ref(PIPELINE, "demo", "build")
DESIRED = {P: "p1", C: "c1", J: "j1"}


def ops(actions: list[Action]) -> dict[Ref, Op]:
    return {a.ref: a.op for a in actions}


def test_everything_missing_is_created_folder_first_then_credentials_then_pipelines() -> None:
    actions = plan(desired=DESIRED, observed={})
    assert [(a.ref, a.op) for a in actions] == [(P, Op.CREATE), (C, Op.CREATE), (J, Op.CREATE)]


def test_matching_stamps_are_noops() -> None:
    observed = {ref: Seen(managed=True, stamp=stamp) for ref, stamp in DESIRED.items()}
    assert {a.op for a in plan(desired=DESIRED, observed=observed)} == {Op.NOOP}


def test_changed_stamp_is_one_update() -> None:
    observed = {ref: Seen(managed=True, stamp=stamp) for ref, stamp in DESIRED.items()}
    actions = plan(desired={**DESIRED, J: "j2"}, observed=observed)
    assert [a for a in actions if a.op.writes] == [Action(J, Op.UPDATE, "changed")]


def test_deleted_in_jenkins_is_recreated() -> None:
    observed = {P: Seen(managed=True, stamp="p1"), C: Seen(managed=True, stamp="c1")}
    assert ops(plan(desired=DESIRED, observed=observed))[J] is Op.CREATE


def test_drift_and_repush_force_updates() -> None:
    observed = {ref: Seen(managed=True, stamp=stamp) for ref, stamp in DESIRED.items()}
    result = ops(plan(desired=DESIRED, observed=observed, drifted={J}, repush_credentials=True))
    assert result == {P: Op.NOOP, C: Op.UPDATE, J: Op.UPDATE}


def test_unmanaged_items_are_conflicts_and_never_written() -> None:
    observed = {P: Seen(managed=True, stamp="p1"), J: Seen(managed=False, stamp="someone else's")}
    actions = plan(desired=DESIRED, observed=observed)
    assert ops(actions)[J] is Op.CONFLICT
    assert next(a for a in actions if a.ref == J).reason == NOT_MANAGED


def test_wrong_kind_of_item_is_a_conflict_even_with_a_marker() -> None:
    observed = {P: Seen(managed=True, stamp="p1"), J: Seen(managed=True, stamp="j1", compatible=False)}
    assert ops(plan(desired=DESIRED, observed=observed))[J] is Op.CONFLICT


def test_unmanaged_folder_makes_its_contents_conflicts() -> None:
    actions = plan(desired=DESIRED, observed={P: Seen(managed=False)})
    assert ops(actions) == {P: Op.CONFLICT, C: Op.CONFLICT, J: Op.CONFLICT}
    assert not any(a.op.writes for a in actions)


def test_tombstones_delete_managed_items_innermost_first() -> None:
    observed = {P: Seen(managed=True, stamp="p1"), J: Seen(managed=True, stamp="j1")}
    actions = plan(desired={P: "p1"}, observed=observed, tombstones=[J])
    assert [(a.ref, a.op) for a in actions if a.op is not Op.NOOP] == [(J, Op.DELETE)]


def test_folder_tombstone_covers_its_contents() -> None:
    observed = {P: Seen(managed=True), C: Seen(managed=True), J: Seen(managed=True)}
    actions = plan(desired={}, observed=observed, tombstones=iter([P, J, C]))
    assert ops(actions) == {P: Op.DELETE, C: Op.FORGET, J: Op.FORGET}
    assert [a.op for a in actions if a.op.writes] == [Op.DELETE]


def test_tombstones_never_delete_what_is_not_ours() -> None:
    actions = plan(
        desired={P: "p1"},
        observed={P: Seen(managed=True, stamp="p1"), J: Seen(managed=False)},
        tombstones=[J],
    )
    assert ops(actions)[J] is Op.FORGET


def test_tombstone_of_missing_item_or_recreated_item_is_forgotten() -> None:
    observed = {P: Seen(managed=True, stamp="p1")}
    assert ops(plan(desired={P: "p1"}, observed=observed, tombstones=[J]))[J] is Op.FORGET
    actions = plan(desired={P: "p1", J: "j1"}, observed=observed, tombstones=[J])
    assert sorted(a.op for a in actions if a.ref == J) == [Op.CREATE, Op.FORGET]


def test_undeclared_managed_items_are_reported_not_deleted() -> None:
    observed = {P: Seen(managed=True, stamp="p1"), J: Seen(managed=True, stamp="j1")}
    actions = plan(desired={P: "p1"}, observed=observed)
    assert ops(actions)[J] is Op.ORPHAN and not any(a.op.writes for a in actions)


def test_a_project_recreated_before_its_tombstone_was_applied_replaces_the_old_folder() -> None:
    """The old folder holds the deleted project's credentials and jobs: it goes, nothing is adopted."""
    old_job = Ref(PIPELINE, "demo", "old")
    observed = {
        P: Seen(managed=True, stamp="p0"),
        C: Seen(managed=True, stamp="c0"),
        old_job: Seen(managed=True),
    }
    actions = plan(desired=DESIRED, observed=observed, tombstones=[P])
    assert [(a.ref, a.op) for a in actions] == [(P, Op.REPLACE), (C, Op.CREATE), (J, Op.CREATE)]
    assert all(a.op.writes for a in actions)


def test_a_recreated_project_whose_folder_is_absent_or_not_ours_is_not_replaced() -> None:
    actions = plan(desired={P: "p1"}, observed={}, tombstones=[P])
    assert sorted(a.op for a in actions) == [Op.CREATE, Op.FORGET]
    actions = plan(desired={P: "p1"}, observed={P: Seen(managed=False)}, tombstones=[P])
    assert sorted(a.op for a in actions) == [Op.CONFLICT, Op.FORGET]
