"""Gauges read from the store when Prometheus scrapes: each is one function over a connection.

A gauge names the tables it reads; one whose tables this database does not have (an older schema, or
a feature whose migration is not there yet: approvals, webhook deliveries) is left out of the scrape,
not an error. Adding a gauge is one decorated function returning ``(label values, value)`` rows::

    @gauge("bridge_webhook_deliveries", "Webhook deliveries by status", ("status",), "webhook_deliveries")
    def webhook_deliveries(conn):
        return conn.execute(text("SELECT status, count(*) FROM webhook_deliveries GROUP BY status"))

A store that cannot be read makes ``bridge_store_up`` 0 and the store gauges absent, never a failed
scrape (the other metrics still matter then).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

Rows = Iterable[Sequence[Any]]


@dataclass(frozen=True)
class GaugeSpec:
    name: str
    help: str
    labels: tuple[str, ...]
    tables: tuple[str, ...]
    read: Callable[[Connection], Rows]


GAUGES: list[GaugeSpec] = []


def gauge(
    name: str, help: str, labels: tuple[str, ...], *tables: str
) -> Callable[[Callable[[Connection], Rows]], Callable[[Connection], Rows]]:
    def register(read: Callable[[Connection], Rows]) -> Callable[[Connection], Rows]:
        GAUGES.append(GaugeSpec(name, help, labels, tables, read))
        return read

    return register


@gauge(
    "bridge_objects",
    "Declared objects by kind and sync status (error: failing)",
    ("kind", "status"),
    "sync_states",
)
def objects(conn: Connection) -> Rows:
    return conn.execute(text("SELECT kind, status, count(*) FROM sync_states GROUP BY kind, status"))


@gauge("bridge_reconcile_queued", "Objects written and not yet taken by the worker", (), "dirty_keys")
def queued(conn: Connection) -> Rows:
    return [((), conn.execute(text("SELECT count(*) FROM dirty_keys")).scalar_one())]


@gauge("bridge_tombstones", "Deleted objects still to be removed from Jenkins", (), "tombstones")
def tombstones(conn: Connection) -> Rows:
    return [((), conn.execute(text("SELECT count(*) FROM tombstones")).scalar_one())]


@gauge(
    "bridge_cluster_reachable",
    "Inventory clusters: 1 reachable, 0 unreachable, -1 not checked yet",
    ("cluster", "source"),
    "cluster_inventory",
)
def cluster_reachable(conn: Connection) -> Rows:
    rows = conn.execute(text("SELECT name, source, reachable, checked_at FROM cluster_inventory"))
    return [((n, src), -1 if seen is None else int(bool(ok))) for n, src, ok, seen in rows]


@gauge("bridge_pending_approvals", "Input steps waiting for an answer", ("project",), "approval_inputs")
def pending_approvals(conn: Connection) -> Rows:
    waiting = "SELECT project, count(*) FROM approval_inputs WHERE state = 'waiting' GROUP BY project"
    return conn.execute(text(waiting))


@gauge("bridge_webhook_deliveries", "Webhook deliveries by status", ("status",), "webhook_deliveries")
def webhook_deliveries(conn: Connection) -> Rows:
    return conn.execute(text("SELECT status, count(*) FROM webhook_deliveries GROUP BY status"))


def _split(row: Sequence[Any], labels: tuple[str, ...]) -> tuple[list[str], float]:
    if not labels and len(row) == 2 and isinstance(row[0], tuple):
        return [], float(row[1])
    if len(row) == 2 and isinstance(row[0], tuple):
        return [str(v) for v in row[0]], float(row[1])
    return [str(v) for v in row[: len(labels)]], float(row[len(labels)])


class StoreGauges(Collector):
    """A prometheus collector over the store (read-only, one connection per scrape)."""

    def __init__(self, engine: Engine, specs: Sequence[GaugeSpec] | None = None) -> None:
        self._engine = engine
        self._specs = list(GAUGES if specs is None else specs)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("bridge_store_up", "1 when the store answered this scrape's queries")
        families: list[GaugeMetricFamily] = []
        try:
            with self._engine.connect() as conn:
                present = set(inspect(conn).get_table_names())
                for spec in self._specs:
                    if not set(spec.tables) <= present:
                        continue
                    family = GaugeMetricFamily(spec.name, spec.help, labels=list(spec.labels))
                    for row in spec.read(conn):
                        values, value = _split(tuple(row), spec.labels)
                        family.add_metric(values, value)
                    families.append(family)
                conn.rollback()
            up.add_metric([], 1)
        except SQLAlchemyError:
            log.warning("metrics: the store could not be read", exc_info=True)
            families = []
            up.add_metric([], 0)
        yield up
        yield from families
