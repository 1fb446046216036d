"""Reachability: every ``probe_interval``, ``/version`` through each cluster's kubeconfig.

Checks run in a small thread pool so one unreachable cluster (its calls end at ``probe_timeout``) does
not delay the others. A cluster that joins or whose kubeconfig changes is checked at once
(``urgent``, wired as an inventory listener). Clusters without a usable kubeconfig (a clash, an
unsupported authentication) are not probed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from bridge.domain.clusters import ChangeKind, ClusterChange
from bridge.inventory.ports import ClusterProbe
from bridge.store.clusters import ClusterCatalog

log = logging.getLogger(__name__)

PARALLEL = 8


class Prober:
    def __init__(self, catalog: ClusterCatalog, probe: ClusterProbe, *, interval: float) -> None:
        self._catalog, self._probe, self._interval = catalog, probe, interval
        self._urgent: set[str] = set()
        self._wake = threading.Event()
        self._lock = threading.Lock()

    def on_change(self, change: ClusterChange) -> None:
        """Inventory listener: check a new or changed cluster now."""
        if change.kind is not ChangeKind.LEFT and change.kubeconfig_changed:
            with self._lock:
                self._urgent.add(change.name)
            self._wake.set()

    def probe(self, names: Iterable[str] | None = None) -> int:
        """Check ``names`` (default: every cluster with a kubeconfig); returns how many were checked."""
        wanted = set(names) if names is not None else None
        targets = [
            s.record.name
            for s in self._catalog.states()
            if s.digest and (wanted is None or s.record.name in wanted)
        ]
        if not targets:
            return 0
        with ThreadPoolExecutor(max_workers=min(PARALLEL, len(targets)), thread_name_prefix="probe") as pool:
            list(pool.map(self._check, targets))
        return len(targets)

    def _check(self, name: str) -> None:
        try:
            kubeconfig = self._catalog.kubeconfig(name)
            if kubeconfig is None:
                return
            self._catalog.record_reachability(name, self._probe.check(name, kubeconfig))
        except Exception:
            log.exception("reachability check of cluster %s failed", name)

    def run(self, stop: threading.Event) -> None:
        """Probe everything every interval, and urgent clusters as soon as they are announced."""
        due = 0.0
        while not stop.is_set():
            if time.monotonic() >= due:
                self.probe()
                due = time.monotonic() + self._interval
            with self._lock:
                urgent, self._urgent = self._urgent, set()
            if urgent:
                self.probe(urgent)
                continue
            self._wake.wait(max(0.0, min(due - time.monotonic(), 1.0)))
            self._wake.clear()
