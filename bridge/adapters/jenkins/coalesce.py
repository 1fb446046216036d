"""Short-lived caching with request coalescing for run reads (``CachedRunViews``).

Many clients poll the same running run (every open browser tab, through the console backend). A read
goes to Jenkins only when the cached answer is older than ``ttl`` seconds; concurrent readers of a key
that is being fetched wait for that one request instead of sending their own. So each resource of a
run (its build, its stage graph, its pending inputs, one stage's steps, a queue item) costs Jenkins at
most one request per ``ttl``, whatever the number of readers. Failures are cached for ``ttl`` too, so
an unreachable Jenkins is not hammered either. The lists the worker uses to discover runs are not
cached (one reader, on its own schedule).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bridge.adapters.jenkins.runport import BuildInfo, InputStep, QueueState, RunViewPort

T = TypeVar("T")


@dataclass
class _Entry:
    event: threading.Event = field(default_factory=threading.Event)
    value: Any = None
    error: BaseException | None = None
    at: float = 0.0


class Coalescer:
    """``get(key, load)``: the cached value, or one ``load()`` shared by every concurrent caller."""

    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic, max_entries: int = 4096):
        self.ttl = ttl
        self._clock = clock
        self._max = max_entries
        self._lock = threading.Lock()
        self._entries: dict[Hashable, _Entry] = {}
        self.loads = 0  # how many times a loader ran (what the benchmark compares with requests)

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        with self._lock:
            entry = self._entries.get(key)
            fresh = entry is not None and entry.event.is_set() and self._clock() - entry.at < self.ttl
            waiting = entry is not None and not entry.event.is_set()
            if not fresh and not waiting:
                entry = _Entry()
                self._entries[key] = entry
                self._evict()
                owner = True
            else:
                owner = False
        assert entry is not None
        if owner:
            self.loads += 1
            try:
                entry.value = load()
            except BaseException as e:  # shared with every waiter, then re-raised
                entry.error = e
            finally:
                entry.at = self._clock()
                entry.event.set()
        else:
            entry.event.wait()
        if entry.error is not None:
            raise entry.error
        return entry.value  # type: ignore[no-any-return]

    def forget(self, key: Hashable) -> None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.event.is_set():
                del self._entries[key]

    def _evict(self) -> None:
        if len(self._entries) <= self._max:
            return
        now = self._clock()
        for key in [k for k, e in self._entries.items() if e.event.is_set() and now - e.at >= self.ttl]:
            del self._entries[key]
        while len(self._entries) > self._max:  # still full of fresh entries: drop the oldest
            oldest = min(
                (k for k, e in self._entries.items() if e.event.is_set()),
                default=None,
                key=lambda k: self._entries[k].at,
            )
            if oldest is None:
                return
            del self._entries[oldest]


class CachedRunViews:
    """A ``RunViewPort`` whose per-run reads go through one ``Coalescer``."""

    def __init__(self, views: RunViewPort, ttl: float) -> None:
        self._views = views
        self.cache = Coalescer(ttl)

    def queue_item(self, queue_id: int) -> QueueState | None:
        return self.cache.get(("queue", queue_id), lambda: self._views.queue_item(queue_id))

    def last_builds(self, folder: str) -> Mapping[str, int]:
        return self._views.last_builds(folder)

    def builds(self, job_path: str) -> Sequence[BuildInfo]:
        return self._views.builds(job_path)

    def build(self, job_path: str, number: int) -> BuildInfo:
        return self.cache.get(("build", job_path, number), lambda: self._views.build(job_path, number))

    def describe(self, job_path: str, number: int) -> Mapping[str, Any]:
        return self.cache.get(("describe", job_path, number), lambda: self._views.describe(job_path, number))

    def pending_inputs(self, job_path: str, number: int) -> Sequence[Mapping[str, Any]]:
        key = ("inputs", job_path, number)
        return self.cache.get(key, lambda: self._views.pending_inputs(job_path, number))

    def input_steps(self, job_path: str, number: int) -> Sequence[InputStep]:
        key = ("input_steps", job_path, number)
        return self.cache.get(key, lambda: self._views.input_steps(job_path, number))

    def stage(self, job_path: str, number: int, node_id: str) -> Mapping[str, Any]:
        key = ("stage", job_path, number, node_id)
        return self.cache.get(key, lambda: self._views.stage(job_path, number, node_id))

    def changed(self, job_path: str, number: int) -> None:
        """The bridge just acted on the run (stop, input): the next read asks Jenkins again."""
        for kind in ("build", "describe", "inputs", "input_steps"):
            self.cache.forget((kind, job_path, number))
