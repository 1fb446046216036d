"""Provisioning plan: desired objects vs what Jenkins holds → the actions that make Jenkins match.

Pure: plain data in, a list of actions out, no I/O. The reconciler renders desired objects into
"stamps" (the description Jenkins will report for an item, which embeds the ownership marker and the
hash of the desired config) and observes the stamps Jenkins holds; this module only compares.

Rules:

* desired and absent → ``create``; desired, ours and stamp differs (or a deep check found drift, or
  credential values are due for their periodic re-push) → ``update``; otherwise ``noop``;
* present but not ours (no marker, or the wrong kind of item) → ``conflict``: never touched;
  everything inside a folder that is not ours is a conflict too;
* tombstoned and ours → ``delete``; tombstoned and absent or not ours → ``forget`` (the tombstone
  is done; an item that is not ours is left in place). Contents of a folder being deleted are
  forgotten: the folder delete removes them;
* a project deleted and declared again before its tombstone was applied → ``replace`` when its folder
  is ours: the old folder goes (with the old credentials and jobs in it, which belonged to the deleted
  project and perhaps another team) and a new one is created, then everything declared in it;
* ours, but neither desired nor tombstoned → ``orphan``: reported, never deleted (losing a store row
  must not delete anything in Jenkins).

Order: folders are created before their contents, credentials before pipelines (SCM checkouts use
them), deletes go innermost first.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass

from bridge.domain.refs import CREDENTIAL, PIPELINE, PROJECT, Kind, Ref

__all__ = ["CREDENTIAL", "PIPELINE", "PROJECT", "Action", "Kind", "Op", "Reason", "Ref", "Seen", "plan"]


@dataclass(frozen=True)
class Seen:
    """An item Jenkins holds under a ref: is it ours, what description does it report."""

    managed: bool
    stamp: str | None = None
    compatible: bool = True  # the right kind of item (folder for a project, pipeline job for a pipeline)


class Op(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    REPLACE = "replace"  # a folder: delete it with everything inside, then create it
    NOOP = "noop"
    CONFLICT = "conflict"
    FORGET = "forget"
    ORPHAN = "orphan"

    @property
    def writes(self) -> bool:
        return self in (Op.CREATE, Op.UPDATE, Op.DELETE, Op.REPLACE)


class Reason(enum.StrEnum):
    """Why the plan chose an action (shown in logs and ``reconcile`` output; matched by value, never text)."""

    NONE = ""
    NOT_MANAGED = "exists in Jenkins and is not managed by the bridge"
    FOLDER_NOT_MANAGED = "its folder exists in Jenkins and is not managed by the bridge"
    REPLACED = "re-created: the deleted project's folder goes first, with everything in it"
    NEW_FOLDER = "new folder"
    RECREATED = "recreated"
    FOLDER_GONE = "its folder is gone"
    ABSENT = "not in Jenkins"
    LEFT_IN_PLACE = "exists in Jenkins and is not managed by the bridge; left in place"
    ORPHAN = "managed by the bridge but no longer declared; left in place"
    CHANGED = "changed"
    EDITED = "edited in Jenkins"
    REPUSH = "periodic re-push of secret values"


@dataclass(frozen=True)
class Action:
    ref: Ref
    op: Op
    reason: Reason = Reason.NONE

    def __str__(self) -> str:
        return f"{self.op.value:<8} {self.ref}" + (f"  ({self.reason})" if self.reason else "")


_KIND_ORDER = {PROJECT: 0, CREDENTIAL: 1, PIPELINE: 2}


def plan(
    *,
    desired: Mapping[Ref, str],
    observed: Mapping[Ref, Seen],
    tombstones: Iterable[Ref] = (),
    drifted: Set[Ref] = frozenset(),
    repush_credentials: bool = False,
) -> list[Action]:
    """The actions that bring ``observed`` to ``desired`` (stamps by ref)."""
    tombstoned = frozenset(tombstones)
    replaced = {
        r.project
        for r in tombstoned
        if r.kind == PROJECT and r in desired and (seen := observed.get(r)) is not None and seen.managed
    }
    folder_ops: dict[str, Op] = {}
    actions: list[Action] = []
    for ref in sorted(r for r in desired if r.kind == PROJECT):
        if ref.project in replaced:
            actions.append(Action(ref, Op.REPLACE, Reason.REPLACED))
            folder_ops[ref.project] = Op.CREATE  # its contents are all new
            continue
        action = _upsert(ref, desired[ref], observed.get(ref), drifted=ref in drifted)
        folder_ops[ref.project] = action.op
        actions.append(action)
    for ref in sorted(r for r in desired if r.kind != PROJECT):
        folder_op = folder_ops.get(ref.project)
        if folder_op is None:
            continue  # a child of a project that is not desired: the caller passed inconsistent data
        if folder_op is Op.CONFLICT:
            actions.append(Action(ref, Op.CONFLICT, Reason.FOLDER_NOT_MANAGED))
        elif folder_op is Op.CREATE:
            actions.append(Action(ref, Op.CREATE, Reason.NEW_FOLDER))
        else:
            repush = repush_credentials and ref.kind == CREDENTIAL
            actions.append(
                _upsert(ref, desired[ref], observed.get(ref), drifted=ref in drifted, repush=repush)
            )
    deleted_folders: set[str] = set(replaced)
    for ref in sorted(tombstoned, key=lambda r: (r.kind != PROJECT, r)):
        seen = observed.get(ref)
        if ref.kind == PROJECT and ref.project in replaced:
            continue  # the replace action applies this tombstone
        if ref in desired:
            actions.append(Action(ref, Op.FORGET, Reason.RECREATED))
        elif ref.kind != PROJECT and (ref.project in deleted_folders or observed.get(ref.folder) is None):
            actions.append(Action(ref, Op.FORGET, Reason.FOLDER_GONE))
        elif seen is None:
            actions.append(Action(ref, Op.FORGET, Reason.ABSENT))
        elif not seen.managed:
            actions.append(Action(ref, Op.FORGET, Reason.LEFT_IN_PLACE))
        else:
            actions.append(Action(ref, Op.DELETE))
            if ref.kind == PROJECT:
                deleted_folders.add(ref.project)
    for ref in sorted(observed):
        undeclared = ref not in desired and ref not in tombstoned
        if observed[ref].managed and undeclared and ref.project not in deleted_folders:
            actions.append(Action(ref, Op.ORPHAN, Reason.ORPHAN))
    return sorted(actions, key=_order)


def _upsert(ref: Ref, stamp: str, seen: Seen | None, *, drifted: bool, repush: bool = False) -> Action:
    if seen is None:
        return Action(ref, Op.CREATE)
    if not seen.managed or not seen.compatible:
        return Action(ref, Op.CONFLICT, Reason.NOT_MANAGED)
    if seen.stamp != stamp:
        return Action(ref, Op.UPDATE, Reason.CHANGED)
    if drifted:
        return Action(ref, Op.UPDATE, Reason.EDITED)
    if repush:
        return Action(ref, Op.UPDATE, Reason.REPUSH)
    return Action(ref, Op.NOOP)


def _order(action: Action) -> tuple[int, int, Ref]:
    kind = _KIND_ORDER[action.ref.kind]
    if action.op is Op.DELETE:
        return (1, -kind, action.ref)  # pipelines and credentials before their folder
    return (0, kind, action.ref)
