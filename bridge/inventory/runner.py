"""Runs the inventory: each source's loops and the prober, one daemon thread each, until ``stop()``.

Built by ``bridge.bootstrap.build_inventory`` (the composition root picks the Kubernetes adapters);
started by ``worker`` and ``serve --with-worker`` when ``BRIDGE_CLUSTERS_SOURCES`` names a source.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from bridge.inventory.inventory import Inventory
from bridge.inventory.ports import ClusterSource, Loop
from bridge.inventory.prober import Prober

log = logging.getLogger(__name__)

JOIN_TIMEOUT = 5.0


@dataclass
class InventoryRunner:
    inventory: Inventory
    sources: Sequence[ClusterSource]
    prober: Prober | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> InventoryRunner:
        loops: list[tuple[str, Loop]] = []
        for source in self.sources:
            loops += [
                (f"inventory-{source.kind.value}-{i}", w)
                for i, w in enumerate(source.workers(self.inventory))
            ]
        if self.prober is not None:
            self.inventory.subscribe(self.prober.on_change)
            loops.append(("inventory-probe", self.prober.run))
        for name, loop in loops:
            thread = threading.Thread(target=self._guarded, args=(name, loop), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info(
            "cluster inventory started: %s", ", ".join(s.kind.value for s in self.sources) or "no source"
        )
        return self

    def _guarded(self, name: str, loop: Loop) -> None:
        try:
            loop(self._stop)
        except Exception:
            log.exception("cluster inventory loop %s stopped on an error", name)

    def stop(self) -> None:
        self._stop.set()
        for source in self.sources:
            source.interrupt()
        for thread in self._threads:
            thread.join(JOIN_TIMEOUT)
        self._threads.clear()
