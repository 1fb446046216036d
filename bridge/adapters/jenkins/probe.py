"""A reachability probe for ``/readyz`` that never makes a request on the caller's thread.

Readiness must answer at once even when Jenkins hangs, and many probes a second must not become many
requests to Jenkins. So the probe answers from the last known result and, when that is older than
``ttl``, starts one background refresh (never more than one in flight). Until the first refresh ends
the answer is ``None`` ("unknown").
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from bridge.clock import SYSTEM_CLOCK, Clock
from bridge.errors import BridgeError

log = logging.getLogger(__name__)


class CachedProbe:
    """``probe()`` → ``True`` (reachable), ``False`` (not), ``None`` (not known yet)."""

    def __init__(self, ping: Callable[[], object], *, ttl: float = 10.0, clock: Clock = SYSTEM_CLOCK) -> None:
        self._ping = ping
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._result: bool | None = None
        self._checked_at: float | None = None
        self._running = False

    def __call__(self) -> bool | None:
        with self._lock:
            stale = self._checked_at is None or self._clock.monotonic() - self._checked_at >= self._ttl
            if stale and not self._running:
                self._running = True
                threading.Thread(target=self._refresh, name="jenkins-probe", daemon=True).start()
            return self._result

    def wait(self, timeout: float = 5.0) -> bool | None:
        """Block until a refresh has finished (for tools and tests; ``/readyz`` never calls it)."""
        deadline = time.monotonic() + timeout  # real waiting, whatever clock ages the answers
        self()
        while time.monotonic() < deadline:
            with self._lock:
                if not self._running and self._checked_at is not None:
                    return self._result
            time.sleep(0.02)
        return self()

    def _refresh(self) -> None:
        try:
            self._ping()
            ok = True
        except BridgeError as e:
            log.info("Jenkins is not reachable: %s", e.detail)
            ok = False
        except Exception:  # a probe must never take the process down
            log.warning("Jenkins reachability check failed", exc_info=True)
            ok = False
        with self._lock:
            self._result, self._checked_at, self._running = ok, self._clock.monotonic(), False
