"""Receiving a push delivery: read, verify, match, store — and nothing else before the 202.

The request path is one indexed read (the pipelines watching the delivery's repository, with their
sealed secrets) and one short write transaction (the delivery rows, insert-or-ignore). Jenkins is
never called here: ``deliveries.DeliveryDispatcher`` (the worker) starts the runs.

Verification: the HMAC (or GitLab's token) is computed over the raw body exactly as received. The
payload is decoded first only to learn which repository it claims to be about, because the secrets
are per pipeline; nothing else in it is used until a candidate's secret verifies. A delivery that
verifies against no candidate secret is refused (401) and stores nothing; an unsigned one is refused
unless a watching pipeline explicitly allows unsigned deliveries (then only those pipelines run). A
delivery for a repository nobody watches is acknowledged (202) and recorded as ``unmatched``, so a
mistyped URL can be diagnosed; it triggers nothing.
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bridge.domain.model import Pipeline
from bridge.errors import InvalidRequest, Unauthenticated
from bridge.store import Store
from bridge.store.pipelines import TRIGGERS
from bridge.store.webhooks import IGNORED, QUEUED, UNMATCHED, NewDelivery
from bridge.webhooks import providers
from bridge.webhooks.events import Delivery, Push
from bridge.webhooks.matching import decide
from bridge.webhooks.signatures import verifies
from bridge.webhooks.urls import repo_key

#: Repositories whose watchers are kept in memory at most (the cache is emptied beyond).
CACHE_KEYS = 10_000


@dataclass(frozen=True)
class Receipt:
    """What the provider is told (202, or 200 for a ping)."""

    provider: str
    event: str
    delivery: str
    ping: bool = False
    #: Pipelines the delivery was accepted for (signature verified, or unsigned allowed).
    pipelines: int = 0
    #: Rows queued for a run.
    queued: int = 0
    #: The same delivery was received before: nothing new was stored.
    duplicate: bool = False


class WebhookReceiver:
    """``ttl``: seconds the pipelines watching a repository are reused from memory. A pipeline write in
    this process clears them at once (``pipelines.TRIGGERS``); another replica's write is seen within
    ``ttl``. Deliveries are then stored for a pipeline just deleted (the worker fails them) or checked
    against a secret just replaced, for at most that long."""

    def __init__(
        self, store: Store, *, ttl: float = 2.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.store, self.ttl, self.clock = store, ttl, clock
        self._cache: dict[tuple[str, ...], tuple[float, int, list[Pipeline]]] = {}
        self._lock = threading.Lock()
        self._writer = GroupCommit(store)

    def _watching(self, keys: tuple[str, ...]) -> list[Pipeline]:
        now, generation = self.clock(), TRIGGERS.generation
        with self._lock:
            cached = self._cache.get(keys)
        if cached is not None and cached[1] == generation and now - cached[0] < self.ttl:
            return cached[2]
        with self.store.read() as tx:
            found = list(tx.pipelines.triggered_by(keys))
        with self._lock:
            if len(self._cache) > CACHE_KEYS:
                self._cache.clear()
            self._cache[keys] = (now, generation, found)
        return found

    def receive(self, family: str, headers: Mapping[str, str], body: bytes) -> Receipt:
        try:
            d = providers.read(family, headers, body)
        except providers.BadDelivery as e:
            raise InvalidRequest(str(e)) from None
        delivery_id = d.id[:128] or f"bridge-{uuid.uuid4()}"
        receipt = Receipt(provider=d.provider.value, event=d.event, delivery=delivery_id, ping=d.ping)
        if d.ping or not d.pushes:
            return receipt  # a ping, or an event that never starts a run: nothing to keep
        watching = self._watching(tuple(sorted({k for u in d.repo_urls if (k := repo_key(u))})))
        accepted = _accepted(d, watching)
        rows = (
            [_row(d, delivery_id, p, push) for p in accepted for push in d.pushes]
            if watching
            else [_unmatched(d, delivery_id, push) for push in d.pushes]
        )
        new = self._writer.add(rows)
        return Receipt(
            provider=receipt.provider,
            event=d.event,
            delivery=delivery_id,
            pipelines=len(accepted),
            queued=sum(1 for r in rows if r.status == QUEUED) if new else 0,
            duplicate=new == 0,
        )


@dataclass
class _Slot:
    rows: list[NewDelivery]
    new: int = 0
    error: BaseException | None = None
    done: bool = False


class GroupCommit:
    """Stores the rows of concurrent deliveries in shared transactions, each request returning only
    once the transaction holding its rows committed.

    Whoever holds the commit lock writes every row waiting at that moment in one transaction; the
    requests that arrived meanwhile find theirs written when they get the lock, and return. Under a
    burst that is one SQLite transaction for many deliveries, and writers never wait in SQLite's busy
    handler. Should a shared transaction fail, each request's rows are retried in their own.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._commit = threading.Lock()
        self._pending_lock = threading.Lock()
        self._pending: list[_Slot] = []

    def add(self, rows: list[NewDelivery]) -> int:
        """How many of ``rows`` were new (the others were stored before)."""
        slot = _Slot(rows)
        with self._pending_lock:
            self._pending.append(slot)
        with self._commit:
            if not slot.done:
                with self._pending_lock:
                    batch, self._pending = self._pending, []
                self._write(batch)
        if slot.error is not None:
            raise slot.error
        return slot.new

    def _write(self, batch: list[_Slot]) -> None:
        try:
            with self.store.write() as tx:
                counts = tx.deliveries.add_groups([s.rows for s in batch])
            for s, n in zip(batch, counts, strict=True):
                s.new = n
        except Exception:
            if len(batch) == 1:
                batch[0].error, batch[0].done = sys.exc_info()[1], True
                return
            for s in batch:  # one request's bad rows must not fail the others
                self._write([s])
            return
        for s in batch:
            s.done = True


def _accepted(d: Delivery, watching: list[Pipeline]) -> list[Pipeline]:
    """The watching pipelines this delivery may start; ``Unauthenticated`` when it may start none."""
    if not watching:
        return []
    sig = d.signature
    if sig.present:
        ok = [p for p in watching if p.webhook and p.webhook.secret and verifies(sig, p.webhook.secret)]
        if not ok:
            raise Unauthenticated(
                "the delivery's signature does not verify with the secret of any pipeline watching "
                "this repository"
            )
        return ok
    ok = [p for p in watching if p.webhook and p.webhook.allow_unsigned]
    if not ok:
        raise Unauthenticated("the delivery is not signed; configure the webhook's secret at the provider")
    return ok


def _row(d: Delivery, delivery_id: str, p: Pipeline, push: Push) -> NewDelivery:
    assert p.webhook is not None
    decision = decide(p.webhook, push)
    return NewDelivery(
        provider=d.provider.value,
        delivery=delivery_id,
        event=d.event[:64],
        project=p.project,
        pipeline=p.name,
        repo_url=d.repo_url[:2048],
        ref=push.ref[:512],
        commit=push.commit[:64],
        pusher=d.pusher[:255],
        signed=d.signature.present,
        parameters=dict(decision.parameters),
        status=QUEUED if decision.start else IGNORED,
        error=None if decision.start else decision.reason,
    )


def _unmatched(d: Delivery, delivery_id: str, push: Push) -> NewDelivery:
    return NewDelivery(
        provider=d.provider.value,
        delivery=delivery_id,
        event=d.event[:64],
        project="",
        pipeline="",
        repo_url=d.repo_url[:2048],
        ref=push.ref[:512],
        commit=push.commit[:64],
        pusher=d.pusher[:255],
        signed=d.signature.present,
        parameters={},
        status=UNMATCHED,
        error="no pipeline watches this repository",
    )
