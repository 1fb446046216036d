"""Small helpers every service uses inside its write transaction."""

from __future__ import annotations

from typing import Any

from bridge.domain.model import SyncState
from bridge.errors import NotFound, PreconditionFailed
from bridge.reconcile.ports import Ref
from bridge.store import Stored, Tx


def touched(tx: Tx, key: Ref) -> None:
    """The object changed: show it pending and queue its key for the worker."""
    tx.sync.set(key, SyncState())
    tx.dirty.add(key)


def removed(tx: Tx, key: Ref, *, jenkins: str = "default") -> None:
    """The object is gone from the store: forget its sync state, leave a tombstone (for the controller
    holding a project's folder; a child's goes to wherever its project is), queue its key."""
    tx.sync.forget(key)
    tx.tombstones.add(key, jenkins)
    tx.dirty.add(key)


def project_must_exist(tx: Tx, project: str) -> None:
    """Children of a missing project answer 404 for the project, whatever the child."""
    if not tx.projects.exists(project):
        raise NotFound(f"project {project!r} does not exist")


def check_version(current: Stored[Any], expected: int | None) -> None:
    """Optimistic concurrency: a write that names a ``resource_version`` must name the current one.

    A stale one is 412 Precondition Failed (RFC 9110 §13.1.1), not 409: nothing conflicts with the
    write itself, the client's condition is false."""
    if expected is not None and current.meta.version != expected:
        raise PreconditionFailed(
            f"resource_version {expected} is stale (current: {current.meta.version}); read the object again",
            current_version=current.meta.version,
        )
