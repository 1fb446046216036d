"""Faults for reliability tests, switchable while the sandbox runs.

* ``latency``: seconds added before every request is handled;
* ``add_error(pattern, rate, status)``: a share of requests whose path (below the context path)
  matches the regular expression get ``status`` (503 by default) instead of an answer; the draw is
  made from a seeded ``random.Random``, so a test replays the same sequence;
* outage and restart are handled by ``SandboxJenkins`` (the listener itself is closed).

``requests`` counts every request that reached the instance, by method (what a client's own counters
are checked against).
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorRule:
    pattern: re.Pattern[str]
    rate: float
    status: int
    retry_after: int | None = None  # sent as ``Retry-After`` (what a proxy or a throttled Jenkins says)


class Faults:
    """Current fault settings of one instance; thread-safe, changed from tests at any time."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)  # noqa: S311 - replayable fault draws, not cryptography
        self._rules: list[ErrorRule] = []
        self.latency: float = 0.0
        self.requests: Counter[str] = Counter()

    def add_error(
        self, pattern: str, *, rate: float = 1.0, status: int = 503, retry_after: int | None = None
    ) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be within [0, 1]")
        with self._lock:
            self._rules.append(ErrorRule(re.compile(pattern), rate, status, retry_after))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self.latency = 0.0

    def before_request(self, path: str, method: str = "GET") -> ErrorRule | None:
        """Count the request, sleep the configured latency, then return the rule of an injected error
        for this path, if any."""
        with self._lock:
            self.requests[method.upper()] += 1
        if self.latency > 0:
            time.sleep(self.latency)
        with self._lock:
            for rule in self._rules:
                if rule.pattern.search(path) and self._random.random() < rule.rate:
                    return rule
        return None
