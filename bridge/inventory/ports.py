"""What the inventory needs from the outside, as ports (the Kubernetes adapters implement them).

A source reports full lists and single changes to a ``ClusterSink``; each of its ``workers`` is a loop
run in its own thread until the stop event is set. Records are keyed per source by ``key`` (the object
that carries them: an Argo CD Secret's name differs from its cluster's name), so a deletion needs only
the key.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from bridge.domain.clusters import ClusterRecord, ClusterState, Placement, Reachability, SourceKind

#: A loop run in its own thread; returns when the event is set.
Loop = Callable[[threading.Event], None]


class ClusterSink(Protocol):
    def replace(self, source: SourceKind, records: Iterable[tuple[str, ClusterRecord]]) -> None:
        """Everything ``source`` holds now, as (key, record) pairs (after a list or re-list)."""
        ...

    def put(self, source: SourceKind, key: str, record: ClusterRecord | None) -> None:
        """One object added or changed (``record``), or deleted (``None``)."""
        ...

    def replace_placements(self, placements: Iterable[Placement]) -> None:
        """Every KubeSphere workspace placement (after a list or re-list)."""
        ...

    def put_placement(self, workspace: str, placement: Placement | None) -> None: ...


class ClusterSource(Protocol):
    kind: SourceKind

    def workers(self, sink: ClusterSink) -> Sequence[Loop]:
        """The loops that keep ``sink`` current (list, then watch; periodic re-list)."""
        ...

    def interrupt(self) -> None:
        """Unblock the loops' long calls (a watch) so they see the stop event at once."""
        ...


class ClusterProbe(Protocol):
    def check(self, name: str, kubeconfig: str) -> Reachability:
        """Call the cluster's ``/version`` through ``kubeconfig``; never raises, never returns secrets."""
        ...


class InventoryView(Protocol):
    """What consumers of the inventory read (``bridge.store.clusters.ClusterCatalog`` implements it):
    the level-based truth a periodic pass compares against, next to the change notices of
    ``Inventory.subscribe``."""

    def states(self) -> list[ClusterState]:
        """Every cluster without its kubeconfig; ``digest`` changes exactly when the kubeconfig does."""
        ...

    def kubeconfig(self, name: str) -> str | None:
        """The cluster's kubeconfig (a secret; None for a clash or an unusable one)."""
        ...

    def placements(self) -> dict[str, Placement]: ...
