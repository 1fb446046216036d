"""The sync summary: how many objects are pending, synced or failing, and which ones fail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bridge.domain.model import SyncState, SyncStatus
from bridge.reconcile.ports import Kind, Ref
from bridge.store import Store


@dataclass(frozen=True)
class SyncSummary:
    counts: dict[str, dict[str, int]]
    errors: list[tuple[Ref, SyncState]]
    queued: int
    oldest_queued_at: datetime | None
    tombstones: int


class SyncService:
    def __init__(self, store: Store) -> None:
        self.store = store

    def summary(self, *, error_limit: int = 100) -> SyncSummary:
        with self.store.read() as tx:
            raw = tx.sync.counts()
            errors = tx.sync.failing(error_limit)
            queued, oldest = tx.dirty.count(), tx.dirty.oldest()
            tombstones = tx.tombstones.count()
        counts = {k.value: {s.value: raw.get((k.value, s.value), 0) for s in SyncStatus} for k in Kind}
        return SyncSummary(
            counts=counts, errors=errors, queued=queued, oldest_queued_at=oldest, tombstones=tombstones
        )
