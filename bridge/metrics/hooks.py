"""The worker's hooks (``reconcile.runner.run_worker``'s ``on_pass`` and ``on_leader``): the pass
metrics, the leader gauge and the periodic summary line (``reconcile/summary.py``)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bridge.reconcile.summary import PassTally

if TYPE_CHECKING:
    from bridge.reconcile.outcome import PassResult


class PassMetrics(Protocol):
    """What the hooks feed: ``Metrics`` itself, or a relay to the process holding it
    (``cli/worker_process.py``)."""

    def observe_pass(
        self, trigger: str, seconds: float, applied: Iterable[tuple[str, str]], errors: int
    ) -> None: ...

    def set_leader(self, held: bool) -> None: ...

    def set_leases(self, controllers: Iterable[str], held: Collection[str]) -> None: ...


@dataclass(frozen=True)
class WorkerHooks:
    on_pass: Callable[[str, PassResult, float], None]
    on_leader: Callable[[bool], None]
    #: Told the controllers whose lease the worker holds after each change (``reconcile.leases``).
    on_leases: Callable[[Collection[str], Collection[str]], None] = lambda controllers, held: None


def worker_hooks(summary_interval: float, metrics: PassMetrics | None) -> WorkerHooks:
    """Every pass goes into the summary tally (one line per ``summary_interval`` seconds at most)
    and, with ``metrics``, into the pass instruments; the lock's state into the leader gauge."""
    tally = PassTally(summary_interval)

    def on_pass(trigger: str, result: PassResult, seconds: float) -> None:
        tally.record(trigger, result, seconds)
        if metrics is not None:
            applied = [(a.ref.kind, a.op.value) for a in result.applied if a.op.writes]
            metrics.observe_pass(trigger, seconds, applied, len(result.errors))

    def on_leader(held: bool) -> None:
        if metrics is not None:
            metrics.set_leader(held)

    def on_leases(controllers: Collection[str], held: Collection[str]) -> None:
        if metrics is not None:
            metrics.set_leases(controllers, held)

    return WorkerHooks(on_pass=on_pass, on_leader=on_leader, on_leases=on_leases)
