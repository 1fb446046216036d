"""The worker's periodic summary line: an idle worker is quiet.

A pass that wrote something or failed logs its own line (``worker._log_pass``); a pass that found
nothing to do logs nothing. ``PassTally`` counts every pass and, at most once per ``interval``, when a
pass ends, logs one line with the counts since the last one, so an operator still sees that the
worker is alive without 86,400 lines a day saying nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

from bridge.reconcile.outcome import PassResult

log = logging.getLogger("bridge.reconcile.worker")


class PassTally:
    def __init__(self, interval: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._since = clock()
        self._passes: Counter[str] = Counter()
        self._writes = 0
        self._errors = 0

    def record(self, trigger: str, result: PassResult, seconds: float) -> None:
        with self._lock:
            self._passes[trigger] += 1
            self._writes += result.writes
            self._errors += len(result.errors)
            now = self._clock()
            if self._interval <= 0 or now - self._since < self._interval:
                return
            passes, writes, errors, since = dict(self._passes), self._writes, self._errors, self._since
            self._passes, self._writes, self._errors, self._since = Counter(), 0, 0, now
        log.info(
            "worker summary: %d event and %d resync passes, %d writes, %d object errors in the last %.0fs",
            passes.get("event", 0),
            passes.get("resync", 0),
            writes,
            errors,
            now - since,
        )
