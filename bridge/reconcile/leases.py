"""Controller leases (``reconcile.leases``, PostgreSQL): N workers spread M Jenkins controllers.

Each worker runs a ``LeaseKeeper`` thread. Every ``lease_renew`` seconds it records its heartbeat,
renews the leases it holds, hands over the controllers another live worker should have, and takes the
free ones that are its own. The live workers (sorted) share the sorted controllers round-robin, so
two workers and three controllers give 2 + 1. A lease nobody took for a whole ``lease_ttl`` (its
preferred worker is stuck) is taken by any worker.

Safety: a worker uses a controller only while ``held()`` says so, which stops ``lease_renew`` seconds
before the lease expires in the store (the local deadline is measured from before the renewal was
sent); another worker can take it only after it expired there. Handing over waits for the
controller's work in progress (``guard``) before the lease is released. A killed worker's leases
expire after ``lease_ttl``; its controllers are taken within ``lease_ttl + lease_renew``. A pass of
one controller must be shorter than ``lease_ttl - lease_renew``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Protocol

log = logging.getLogger(__name__)


class Leases(Protocol):
    """The store's side (``bridge.store.leases.LeaseBook``)."""

    def heartbeat(self, worker: str, ttl: float) -> list[str]: ...

    def leave(self, worker: str) -> None: ...

    def renew(self, worker: str, controllers: Collection[str], ttl: float) -> set[str]: ...

    def acquire(self, worker: str, controller: str, ttl: float, *, free_for: float = 0.0) -> bool: ...

    def release(self, worker: str, controller: str) -> None: ...


def worker_id() -> str:
    """This process, recognisable by people: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class SharedScheduler:
    """Stands for the scheduler lock when workers share the controllers through leases: every worker
    runs its scheduler; what it may do is decided per controller."""

    def acquire(self, *, wait: bool = True, stop: threading.Event | None = None) -> bool:
        return True

    def verify(self) -> bool:
        return True

    def release(self) -> None:
        return None


class LeaseKeeper:
    def __init__(
        self,
        book: Leases,
        controllers: Sequence[str],
        *,
        ttl: float,
        renew: float,
        worker: str | None = None,
        on_change: Callable[[set[str]], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.book, self.controllers = book, sorted(controllers)
        self.ttl, self.renew_every = ttl, renew
        self.worker = worker or worker_id()
        self.on_change = on_change
        self._clock = clock
        self._deadlines: dict[str, float] = {}
        self._guards = {c: threading.Lock() for c in self.controllers}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def held(self) -> set[str]:
        """The controllers this worker may reconcile now."""
        now = self._clock()
        with self._lock:
            return {c for c, deadline in self._deadlines.items() if now < deadline}

    @contextlib.contextmanager
    def guard(self, controller: str) -> Iterator[bool]:
        """Work on ``controller`` (True: the lease is held); a hand-over waits for it to end."""
        with self._guards[controller]:
            yield controller in self.held()

    def tick(self) -> set[str]:
        """One round: heartbeat, renew, hand over, take. The controllers held afterwards."""
        before = self.held()
        start = self._clock()
        live = self.book.heartbeat(self.worker, self.ttl)
        if self.worker not in live:
            live = sorted([*live, self.worker])
        with self._lock:
            mine = set(self._deadlines)
        still = self.book.renew(self.worker, mine, self.ttl)
        for lost in sorted(mine - still):
            log.warning("lease of Jenkins controller %s lost (expired and taken over)", lost)
        deadline = start + self.ttl - self.renew_every
        with self._lock:
            self._deadlines = {c: deadline for c in still}
        preferred = {c: live[i % len(live)] for i, c in enumerate(self.controllers)}
        for c in sorted(still):
            if preferred[c] != self.worker:
                self._hand_over(c, preferred[c])
        for c in self.controllers:
            if c in still:
                continue
            free_for = 0.0 if preferred[c] == self.worker else self.ttl
            if self.book.acquire(self.worker, c, self.ttl, free_for=free_for):
                with self._lock:
                    self._deadlines[c] = deadline
                log.info("lease of Jenkins controller %s taken by worker %s", c, self.worker)
        after = self.held()
        if after != before and self.on_change is not None:
            self.on_change(after)
        return after

    def _hand_over(self, controller: str, to: str) -> None:
        with self._guards[controller]:  # its work in progress ends first
            with self._lock:
                self._deadlines.pop(controller, None)
            self.book.release(self.worker, controller)
        log.info("lease of Jenkins controller %s handed over (to worker %s)", controller, to)

    def start(self) -> None:
        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.tick()
                except Exception:  # the store unreachable: held() runs out by itself
                    log.exception("renewing the controller leases failed")
                self._stop.wait(self.renew_every)

        self._thread = threading.Thread(target=loop, name="controller-leases", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop renewing and release every lease (after the work in progress on it)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        for c in sorted(set(self._deadlines)):
            with self._guards[c]:
                with self._lock:
                    self._deadlines.pop(c, None)
                with contextlib.suppress(Exception):
                    self.book.release(self.worker, c)
        with contextlib.suppress(Exception):
            self.book.leave(self.worker)
        if self.on_change is not None:
            self.on_change(set())
