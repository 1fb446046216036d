"""The process's instruments and how each is fed.

==============================================  =========  ==========================================
metric                                          type       labels
==============================================  =========  ==========================================
``bridge_http_request_duration_seconds``        histogram  method, route (the rule template), status
``bridge_jenkins_requests_total``               counter    controller, operation, method
``bridge_jenkins_request_errors_total``         counter    controller, operation, reason
``bridge_reconcile_pass_duration_seconds``      histogram  trigger (``event``, ``resync``)
``bridge_reconcile_actions_total``              counter    kind, op (``create``, ``update``, …)
``bridge_reconcile_pass_errors_total``          counter    trigger
``bridge_leader``                               gauge      (1: this process runs the scheduler)
``bridge_controller_lease{controller}``         gauge      (1: this worker holds the controller's lease)
``bridge_objects`` … (``store_gauges.py``)      gauge      read from the store at scrape time
==============================================  =========  ==========================================

``reason`` of a Jenkins error is the HTTP status class (``4xx``, ``5xx``) or ``unreachable``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bridge.metrics.operations import operation_of

if TYPE_CHECKING:
    from sqlalchemy import Engine

CONTENT_TYPE = CONTENT_TYPE_LATEST
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
PASS_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.http = Histogram(
            "bridge_http_request_duration_seconds",
            "API requests served, by method, route template and status",
            ("method", "route", "status"),
            buckets=HTTP_BUCKETS,
            registry=r,
        )
        self.jenkins_requests = Counter(
            "bridge_jenkins_requests",
            "Requests sent to Jenkins, by controller, operation and HTTP method",
            ("controller", "operation", "method"),
            registry=r,
        )
        self.jenkins_errors = Counter(
            "bridge_jenkins_request_errors",
            "Jenkins requests that failed: HTTP status class (4xx, 5xx) or unreachable",
            ("controller", "operation", "reason"),
            registry=r,
        )
        self.pass_duration = Histogram(
            "bridge_reconcile_pass_duration_seconds",
            "Reconcile passes that did something or failed, and every full resync, by trigger",
            ("trigger",),
            buckets=PASS_BUCKETS,
            registry=r,
        )
        self.actions = Counter(
            "bridge_reconcile_actions",
            "Writes applied to Jenkins, by object kind and op",
            ("kind", "op"),
            registry=r,
        )
        self.pass_errors = Counter(
            "bridge_reconcile_object_errors",
            "Objects a pass could not sync (per-item errors), by trigger",
            ("trigger",),
            registry=r,
        )
        self.leader = Gauge("bridge_leader", "1 when this process holds the scheduler lock", registry=r)
        self.leader.set(0)
        self.leases = Gauge(
            "bridge_controller_lease",
            "1 for each Jenkins controller whose lease this worker holds (reconcile.leases), else 0",
            ("controller",),
            registry=r,
        )

    # -- feeding -----------------------------------------------------------------------------------

    def observe_http(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http.labels(method, route, str(status)).observe(seconds)

    def jenkins_observer(self, controller: str) -> Callable[[str, str, int | None], None]:
        """The callback a Jenkins adapter calls after every request: (method, URL path, status or
        ``None`` when Jenkins could not be reached)."""

        def observe(method: str, path: str, status: int | None) -> None:
            operation = operation_of(method, path)
            self.jenkins_requests.labels(controller, operation, method.upper()).inc()
            if status is None:
                self.jenkins_errors.labels(controller, operation, "unreachable").inc()
            elif status >= 400:
                self.jenkins_errors.labels(controller, operation, f"{status // 100}xx").inc()

        return observe

    def observe_pass(
        self, trigger: str, seconds: float, applied: Iterable[tuple[str, str]], errors: int
    ) -> None:
        """One reconcile pass: ``applied`` is the (kind, op) of every write it made."""
        self.pass_duration.labels(trigger).observe(seconds)
        for kind, op in applied:
            self.actions.labels(kind, op).inc()
        if errors:
            self.pass_errors.labels(trigger).inc(errors)

    def set_leader(self, held: bool) -> None:
        self.leader.set(1 if held else 0)

    def set_leases(self, controllers: Iterable[str], held: Collection[str]) -> None:
        for controller in controllers:
            self.leases.labels(controller).set(1 if controller in held else 0)

    def watch_store(self, engine: Engine) -> None:
        """Add the gauges read from the store at scrape time (once per engine)."""
        from bridge.metrics.store_gauges import StoreGauges

        self.registry.register(StoreGauges(engine))

    # -- exposition --------------------------------------------------------------------------------

    def render(self) -> bytes:
        return generate_latest(self.registry)
