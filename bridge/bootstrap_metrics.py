"""The composition root's metrics part (``bridge.bootstrap`` re-exports it): the process's instruments
with an observer on each controller's request counter, and the worker's hooks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bridge.adapters.jenkins.port import RequestCounter
from bridge.settings import Settings
from bridge.store import Store

if TYPE_CHECKING:
    from bridge.metrics import Metrics
    from bridge.metrics.hooks import WorkerHooks


def worker_hooks(settings: Settings, metrics: Metrics | None) -> WorkerHooks:
    """``run_worker``'s ``on_leader`` and ``on_pass``: the leader gauge, pass metrics, the summary line."""
    from bridge.metrics.hooks import worker_hooks as hooks

    return hooks(settings.log.worker_summary_interval, metrics)


def build_metrics(store: Store, counters: Mapping[str, RequestCounter]) -> Metrics:
    """The process's instruments: store gauges read at scrape time, and the requests of every
    controller's connection (``counters`` by controller name, the label of its series)."""
    from bridge.metrics import Metrics

    metrics = Metrics()
    metrics.watch_store(store.engine)
    for name, counter in counters.items():
        counter.observers.append(metrics.jenkins_observer(name))
    return metrics
