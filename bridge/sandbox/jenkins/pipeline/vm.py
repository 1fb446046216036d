"""The CPS VM of one run: pipeline threads take turns, so flow node ids never depend on thread scheduling.

Jenkins runs every thread of a build (the program, each ``parallel`` branch) on one CPS VM thread, switching
between them only where the program yields, and numbers flow nodes as it creates them. The sandbox runs each
pipeline thread on a Python thread but lets only one — the *owner* — execute at a time, and hands the VM on
in a deterministic order:

* a thread yields after each step and when a block's body begins (CPS interleaves branches step by step:
  ``[Pipeline] { (Branch: a)``, ``[Pipeline] { (Branch: b)``, then their steps alternately);
* the next owner is the ready thread with the lowest virtual time, then the one that yielded longest ago;
* simulated time is virtual: ``sleep`` (and ``sh``/``git`` durations) move a thread's virtual clock, the
  thread whose wake-up comes first runs next, and real time is only used to pace it (virtual seconds times
  ``time_scale``). Waiting for a person (``input``) moves the clock with real time when ``time_scale`` > 0,
  and not at all when it is 0 (an instant simulation answers in no simulated time).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(eq=False)
class Task:
    """One pipeline thread. ``state``: ready | running | sleeping | blocked | done."""

    seq: int
    vt: float = 0.0  # virtual seconds since the run started
    turn: int = 0
    state: str = "ready"
    wake: float = 0.0


class VirtualMachine:
    def __init__(
        self,
        cond: threading.Condition,
        scale: float,
        interrupted: Callable[[], bool],
        fast_forward: Callable[[], bool] = lambda: False,
    ) -> None:
        self.cond = cond
        self.scale = scale
        self.interrupted = interrupted
        self.fast_forward = fast_forward  # resuming after a restart: replay without real waits
        self._anchored = True
        self.tasks: list[Task] = []
        self.owner: Task | None = None
        self._counter = itertools.count()
        self._local = threading.local()
        self._start = time.monotonic()

    # -- threads ---------------------------------------------------------------------------------------
    def spawn(self, vt: float = 0.0) -> Task:
        with self.cond:
            number = next(self._counter)
            task = Task(seq=number, vt=vt, turn=number)
            self.tasks.append(task)
            return task

    def attach(self, task: Task) -> None:
        """Bind ``task`` to the calling thread and wait for its first turn."""
        self._local.task = task
        with self.cond:
            self._acquire(task)

    def current(self) -> Task:
        task = getattr(self._local, "task", None)
        assert isinstance(task, Task), "not a pipeline thread"
        return task

    def exit(self, task: Task) -> None:
        with self.cond:
            task.state = "done"
            self.tasks.remove(task)
            self._release(task)

    # -- yielding --------------------------------------------------------------------------------------
    def yield_turn(self) -> None:
        """Let the other ready threads run one step before this one continues."""
        task = self.current()
        with self.cond:
            if len(self.tasks) == 1:
                return
            task.turn = next(self._counter)
            task.state = "ready"
            self._release(task)
            self._acquire(task)

    def sleep(self, seconds: float, deadline: float | None) -> bool:
        """Advance this thread's clock by ``seconds``, or only up to ``deadline`` (then True)."""
        task = self.current()
        with self.cond:
            wake = task.vt + max(seconds, 0.0)
            cut = deadline is not None and deadline < wake
            task.wake = max(task.vt, deadline) if cut and deadline is not None else wake
            task.turn = next(self._counter)
            task.state = "sleeping"
            self._release(task)
            self._acquire(task)
        return cut

    def wait_external(self, done: Callable[[], bool], deadline: float | None) -> str:
        """Wait off the VM for ``done()`` (an approval); "done", "deadline" or "interrupted"."""
        task = self.current()
        with self.cond:
            task.state = "blocked"
            self._release(task)
            began = time.monotonic()
            limit = self._real_at(deadline) if deadline is not None and self.scale > 0 else None
            while True:
                if done():
                    outcome = "done"
                    break
                if self.interrupted():
                    outcome = "interrupted"
                    break
                now = time.monotonic()
                if limit is not None and now >= limit:
                    outcome = "deadline"
                    break
                self.cond.wait(None if limit is None else limit - now)
            if self.scale > 0:
                task.vt += (time.monotonic() - began) / self.scale
            if outcome == "deadline" and deadline is not None:
                task.vt = max(task.vt, deadline)
            task.turn = next(self._counter)
            task.state = "ready"
            self._acquire(task)
        return outcome

    def join(self, children: list[Task]) -> None:
        """Wait off the VM until every child has ended; the clock moves to the latest of them."""
        task = self.current()
        with self.cond:
            task.state = "blocked"
            self._release(task)
            while any(c.state != "done" for c in children):
                self.cond.wait()
            task.vt = max([task.vt, *(c.vt for c in children)])
            task.turn = next(self._counter)
            task.state = "ready"
            self._acquire(task)

    # -- scheduling (condition held) -------------------------------------------------------------------
    def _next(self) -> Task | None:
        ready = [t for t in self.tasks if t.state == "ready"]
        if ready:
            return min(ready, key=lambda t: (t.vt, t.turn, t.seq))
        sleeping = [t for t in self.tasks if t.state == "sleeping"]
        return min(sleeping, key=lambda t: (t.wake, t.turn, t.seq)) if sleeping else None

    def _acquire(self, task: Task) -> None:
        while True:
            if self.owner is None and self._next() is task:
                if task.state == "sleeping" and self.fast_forward():
                    self._anchored = False
                elif task.state == "sleeping" and not self.interrupted():
                    if not self._anchored:  # first real wait after a replay: the clock resumes here
                        self._start = time.monotonic() - task.vt * self.scale
                        self._anchored = True
                    remaining = self._real_at(task.wake) - time.monotonic()
                    if remaining > 0:
                        self.cond.wait(remaining)
                        continue
                if task.state == "sleeping" and not self.interrupted():
                    task.vt = task.wake
                task.state = "running"
                self.owner = task
                return
            self.cond.wait()

    def _release(self, task: Task) -> None:
        if self.owner is task:
            self.owner = None
        self.cond.notify_all()

    def _real_at(self, vt: float) -> float:
        return self._start + vt * self.scale
