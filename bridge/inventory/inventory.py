"""The inventory: every source's records in memory, merged into one name space, persisted, announced.

Each ``put``/``replace`` recomputes the merge (``bridge.domain.clusters.merge``: a name offered twice
is a clash) and hands the whole view to ``ClusterCatalog.sync``, which writes only what differs and
returns the changes; listeners then hear each ``ClusterChange`` (a kubeconfig sync subscribes here).
A source's rows are removed from the store only after that source has listed once in this process,
so a restart never drops clusters before their source answered. Listener errors are logged, never
raised into a source's loop.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Collection, Iterable

from bridge.domain.clusters import ClusterChange, ClusterRecord, Placement, SourceKind, merge
from bridge.store.clusters import ClusterCatalog

log = logging.getLogger(__name__)

Listener = Callable[[ClusterChange], None]


class Inventory:
    """Implements ``bridge.inventory.ports.ClusterSink``."""

    def __init__(
        self, catalog: ClusterCatalog, *, sources: Collection[SourceKind], placements: bool = False
    ) -> None:
        self._catalog = catalog
        self._configured = frozenset(sources)
        self._records: dict[SourceKind, dict[str, ClusterRecord]] = {s: {} for s in self._configured}
        self._listed: set[SourceKind] = set()
        self._placements: dict[str, Placement] = {}
        self._placements_listed = not placements
        self._listeners: list[Listener] = []
        self._clashes: set[str] = set()
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    # --- ClusterSink ----------------------------------------------------------------------------------

    def replace(self, source: SourceKind, records: Iterable[tuple[str, ClusterRecord]]) -> None:
        with self._lock:
            self._records[source] = dict(records)
            self._listed.add(source)
            changes = self._flush()
        self._announce(changes)

    def put(self, source: SourceKind, key: str, record: ClusterRecord | None) -> None:
        with self._lock:
            held = self._records.setdefault(source, {})
            if held.get(key) == record:
                return  # a watch event that changes nothing the inventory holds (status-only updates)
            if record is None:
                held.pop(key, None)
            else:
                held[key] = record
            changes = self._flush()
        self._announce(changes)

    def replace_placements(self, placements: Iterable[Placement]) -> None:
        with self._lock:
            self._placements = {p.workspace: p for p in placements}
            self._placements_listed = True
            self._catalog.sync_placements(self._placements)

    def put_placement(self, workspace: str, placement: Placement | None) -> None:
        with self._lock:
            if placement is None:
                self._placements.pop(workspace, None)
            else:
                self._placements[workspace] = placement
            if self._placements_listed:
                self._catalog.sync_placements(self._placements)

    # --- internals ------------------------------------------------------------------------------------

    def _flush(self) -> list[ClusterChange]:
        records = [r for held in self._records.values() for r in held.values()]
        merged = merge(records)
        clashes = {name for name, n in Counter(r.name for r in records).items() if n > 1}
        for name in sorted(clashes - self._clashes):
            log.error("cluster inventory: %s", merged[name].problem)
        self._clashes = clashes
        authoritative = self._listed | (set(SourceKind) - self._configured)
        return self._catalog.sync(merged, authoritative=authoritative)

    def _announce(self, changes: list[ClusterChange]) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for change in changes:
            log.info("cluster %s %s", change.name, change.kind.value)
            for listener in listeners:
                try:
                    listener(change)
                except Exception:
                    log.exception("a cluster change listener failed on %s", change.name)
