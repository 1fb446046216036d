"""Faults for reliability tests, switchable while the sandbox runs.

* ``latency``: seconds added before every request is handled;
* ``add_error(pattern, rate, status)``: a share of requests whose path (below the context path)
  matches the regular expression get ``status`` (503 by default) instead of an answer; the draw is
  made from a seeded ``random.Random``, so a test replays the same sequence;
* ``hold(pattern)``: requests whose path matches wait until the test releases them (a request kept
  in flight on purpose: ``Hold.arrived`` says one is waiting); ``clear`` releases every hold;
* ``seen``: how many requests reached each path (below the context path, without the query), so a
  test or benchmark counts what a client really asked of Jenkins;
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


class Hold:
    """Requests matching ``pattern`` wait in the sandbox until ``release`` (at most ``timeout``)."""

    def __init__(self, pattern: str, timeout: float) -> None:
        self.pattern = re.compile(pattern)
        self.timeout = timeout
        self.arrived = threading.Event()
        self._released = threading.Event()

    def release(self) -> None:
        self._released.set()

    def wait(self) -> None:
        self.arrived.set()
        self._released.wait(self.timeout)


class Faults:
    """Current fault settings of one instance; thread-safe, changed from tests at any time."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)  # noqa: S311 - replayable fault draws, not cryptography
        self._rules: list[ErrorRule] = []
        self._holds: list[Hold] = []
        self.latency: float = 0.0
        self._seen: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()

    def hold(self, pattern: str, *, timeout: float = 60.0) -> Hold:
        hold = Hold(pattern, timeout)
        with self._lock:
            self._holds.append(hold)
        return hold

    def seen(self, pattern: str = "") -> int:
        """Requests received whose path matches the regular expression (all with the empty one)."""
        compiled = re.compile(pattern)
        with self._lock:
            return sum(n for path, n in self._seen.items() if compiled.search(path))

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
            holds, self._holds = self._holds, []
        for hold in holds:
            hold.release()

    def before_request(self, path: str, method: str = "GET") -> ErrorRule | None:
        """Count the request, sleep the configured latency, then return the rule of an injected error
        for this path, if any."""
        with self._lock:
            self._seen[path] += 1
            self.requests[method.upper()] += 1
        if self.latency > 0:
            time.sleep(self.latency)
        with self._lock:
            holds = [h for h in self._holds if h.pattern.search(path)]
        for hold in holds:
            hold.wait()
        with self._lock:
            for rule in self._rules:
                if rule.pattern.search(path) and self._random.random() < rule.rate:
                    return rule
        return None
