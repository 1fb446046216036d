"""When to retry a project whose pass failed: exponential backoff with jitter, ``Retry-After`` honoured.

A project that Jenkins could not take (unreachable, 429, 5xx) is not retried on every poll: its n-th
consecutive failure waits ``initial * 2**(n-1)`` seconds, capped at ``maximum``, scaled by a random
factor in [0.5, 1.0] ("equal jitter", so projects that failed together do not come back together).
When Jenkins said how long to wait (``Retry-After``, carried as ``UpstreamUnavailable.retry_after``),
the wait is at least that. A success, or a new write to the project (its dirty key), clears the count.
Time is read from the ``Clock`` (tests move a ``ManualClock``).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from bridge.clock import SYSTEM_CLOCK, Clock


@dataclass(frozen=True)
class Attempt:
    failures: int
    due: float  # monotonic time


class Backoff:
    def __init__(
        self,
        *,
        initial: float = 2.0,
        maximum: float = 300.0,
        clock: Clock = SYSTEM_CLOCK,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.initial, self.maximum = initial, maximum
        self._clock = clock
        self._jitter = jitter
        self._lock = threading.Lock()
        self._waiting: dict[str, Attempt] = {}

    def delay(self, failures: int, retry_after: float | None = None) -> float:
        """Seconds to wait after the ``failures``-th consecutive failure."""
        base = min(self.maximum, self.initial * 2.0 ** max(0, failures - 1))
        wait: float = base * (0.5 + 0.5 * self._jitter())
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.maximum))
        return wait

    def failed(self, projects: Iterable[str], retry_after: Mapping[str, float] | None = None) -> None:
        now = self._clock.monotonic()
        with self._lock:
            for project in projects:
                failures = self._waiting[project].failures + 1 if project in self._waiting else 1
                hint = (retry_after or {}).get(project)
                self._waiting[project] = Attempt(failures, now + self.delay(failures, hint))

    def succeeded(self, projects: Iterable[str]) -> None:
        with self._lock:
            for project in projects:
                self._waiting.pop(project, None)

    def due(self) -> set[str]:
        """Projects whose wait is over (they stay known until they succeed or fail again)."""
        now = self._clock.monotonic()
        with self._lock:
            return {p for p, a in self._waiting.items() if a.due <= now}

    def waiting(self) -> dict[str, Attempt]:
        with self._lock:
            return dict(self._waiting)

    def next_due(self) -> float | None:
        """Seconds until the next project is due (``None``: nothing waits)."""
        with self._lock:
            if not self._waiting:
                return None
            return max(0.0, min(a.due for a in self._waiting.values()) - self._clock.monotonic())
