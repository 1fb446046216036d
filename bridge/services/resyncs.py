"""Resyncs on request: a full pass (deep on request) over one project or every project, for the worker.

A user who sees drift need not wait for the periodic resync, and ``reconcile --once`` refuses while a
worker runs: ``POST /api/v1/projects/{project}/sync`` (project admins) and ``POST /api/v1/sync``
(platform admins) queue a request in the store (``store/resyncs.py``); the worker takes it in its next
pass (at once when it runs in the same process) and writes the outcome, which ``GET /api/v1/sync``
shows with the newest requests.
"""

from __future__ import annotations

from bridge.errors import NotFound
from bridge.store import Store
from bridge.store.resyncs import ResyncQueue, ResyncRequest

#: How many of the newest requests the sync summary shows.
SHOWN = 10

__all__ = ["ResyncRequest", "ResyncService"]


class ResyncService:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.queue = ResyncQueue(store)

    def request(self, project: str | None, *, deep: bool, requested_by: str) -> ResyncRequest:
        if project is not None:
            with self.store.read() as tx:
                if tx.projects.get(project) is None:
                    raise NotFound(f"project {project!r} does not exist")
        return self.queue.request(project, deep=deep, requested_by=requested_by)

    def latest(self, limit: int = SHOWN) -> list[ResyncRequest]:
        return self.queue.latest(limit)
