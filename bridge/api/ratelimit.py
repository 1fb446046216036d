"""A per-client fixed-window counter for unauthenticated routes (push deliveries).

In memory, per process: with several replicas each allows the limit (a front proxy or the ingress
should rate-limit too; see docs/security.md). Windows are one minute; old windows are dropped as
new ones start, so memory stays bounded by the clients of one minute.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute, self.clock = per_minute, clock
        self._lock = threading.Lock()
        self._window = -1
        self._counts: dict[str, int] = {}

    def allow(self, client: str) -> float | None:
        """``None`` when ``client`` may go on; else the seconds until its window ends."""
        if self.per_minute <= 0:
            return None
        now = self.clock()
        window = int(now // 60)
        with self._lock:
            if window != self._window:
                self._window, self._counts = window, {}
            n = self._counts.get(client, 0) + 1
            self._counts[client] = n
        if n > self.per_minute:
            return 60 - (now % 60)
        return None
