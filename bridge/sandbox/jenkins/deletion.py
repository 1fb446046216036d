"""Deleting an item stops its builds first (``ItemDeletion.cancelBuildsInProgress``)."""

from __future__ import annotations

import time
from typing import Any

from bridge.sandbox.jenkins import itemjson
from bridge.sandbox.jenkins.buildstate import service
from bridge.sandbox.jenkins.errors import Failure
from bridge.sandbox.jenkins.model import Folder, Item, Job, SandboxState


def cancel_builds_in_progress(
    state: SandboxState, services: dict[str, Any], item: Item, user_id: str, *, wait_seconds: float = 15.0
) -> None:
    """``ItemDeletion.cancelBuildsInProgress``: cancel the queue items of ``item`` and everything below it,
    abort its running builds ("Aborted by <user>") and wait for them to end. Call without the lock held."""
    with state.lock:
        jobs = [item] if isinstance(item, Job) else [i for i in _subtree(item) if isinstance(i, Job)]
        builds = service(state, services)
        for queued in [q for q in builds.items.values() if q.job in jobs and q.state != "left"]:
            builds.cancel(queued)
        running = [b for job in jobs for b in job.builds.values() if b.building]
    for build in running:
        build.run.interrupt(f"Aborted by {user_id}")
    deadline = time.monotonic() + wait_seconds
    for build in running:
        build.run.join(max(0.0, deadline - time.monotonic()))
    still = [b for b in running if b.building]
    if still:
        count = f"{len(still)} build" + ("s" if len(still) > 1 else "")
        raise Failure(f"Failed to interrupt and stop {count} of {itemjson.full_display_name(item)}")


def _subtree(item: Item) -> list[Item]:
    return list(item.walk()) if isinstance(item, Folder) else [item]
