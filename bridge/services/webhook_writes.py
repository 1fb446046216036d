"""Storing the rows of concurrent deliveries in shared transactions (group commit).

Under a burst, one transaction per delivery would make the store's commit, not the delivery's own
work, the receiver's cost, and SQLite's writers would queue in its busy handler. So the rows of every
delivery waiting at a moment are written in one transaction, and each delivery is answered only once
the transaction holding its rows committed (stored before the 202). Should a shared transaction fail,
each delivery's rows are retried in a transaction of their own, so one delivery's bad rows never fail
the others.

Two shapes of the same idea, one per server model:

* ``GroupCommit`` for request threads (the API's WSGI server): whoever holds the commit lock writes
  every row waiting at that moment; the threads that arrived meanwhile find theirs written.
* ``BatchWriter`` for an event loop (``jenkins-bridge receive``): one thread owns the writes; requests
  hand it their rows and await the outcome, which it reports once per batch.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from bridge.store import Store
from bridge.store.webhooks import NewDelivery

log = logging.getLogger(__name__)

#: The outcome of one delivery's rows: how many were new, or why they could not be stored.
Outcome = int | BaseException
T = TypeVar("T")


def write_groups(store: Store, groups: Sequence[Sequence[NewDelivery]]) -> list[Outcome]:
    """Store each group's rows (insert-or-ignore) in one transaction; on failure, each group alone."""
    try:
        with store.write() as tx:
            return list(tx.deliveries.add_groups(groups))
    except Exception as e:
        if len(groups) == 1:
            return [e]
    return [write_groups(store, [g])[0] for g in groups]


@dataclass
class _Slot:
    rows: list[NewDelivery]
    outcome: Outcome = 0
    done: bool = False


class GroupCommit:
    """For request threads: ``add`` returns once the rows are committed, in a transaction shared with
    the rows of every thread that was waiting for the commit lock meanwhile."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._commit = threading.Lock()
        self._pending_lock = threading.Lock()
        self._pending: list[_Slot] = []

    def add(self, rows: list[NewDelivery]) -> int:
        """How many of ``rows`` were new (the others were stored before)."""
        slot = _Slot(rows)
        with self._pending_lock:
            self._pending.append(slot)
        with self._commit:
            if not slot.done:
                with self._pending_lock:
                    batch, self._pending = self._pending, []
                outcomes = write_groups(self.store, [s.rows for s in batch])
                for s, outcome in zip(batch, outcomes, strict=True):
                    s.outcome, s.done = outcome, True
        if isinstance(slot.outcome, BaseException):
            raise slot.outcome
        return slot.outcome


class BatchWriter(Generic[T]):
    """For an event loop: one thread writes the rows handed to it with ``submit``, all that are
    waiting at once in one transaction (at most ``max_batch`` deliveries), then calls ``report`` once
    per batch with each delivery's token and outcome. ``report`` runs on the writer thread: hand its
    work to the loop (``loop.call_soon_threadsafe``). ``close`` writes what was submitted before it,
    then ends the thread."""

    def __init__(
        self,
        store: Store,
        report: Callable[[list[tuple[T, Outcome]]], None],
        *,
        max_batch: int = 500,
    ) -> None:
        self.store, self.report, self.max_batch = store, report, max_batch
        self._queue: queue.SimpleQueue[tuple[list[NewDelivery], T] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="delivery-writer", daemon=True)
        self._thread.start()

    def submit(self, rows: list[NewDelivery], token: T) -> None:
        self._queue.put((rows, token))

    def close(self, timeout: float = 30.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        closing = False
        while not closing:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    closing = True
                    break
                batch.append(more)
            outcomes = write_groups(self.store, [rows for rows, _ in batch])
            try:
                self.report([(token, o) for (_, token), o in zip(batch, outcomes, strict=True)])
            except Exception:  # the loop is gone (shutting down): nobody waits for these answers
                log.exception("could not report %d stored deliveries", len(batch))
