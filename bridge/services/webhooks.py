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

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bridge.domain.model import Pipeline
from bridge.errors import InvalidRequest, Unauthenticated
from bridge.services.webhook_writes import GroupCommit
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

    def cached(self, keys: tuple[str, ...]) -> list[Pipeline] | None:
        """The pipelines watching ``keys`` when known from memory (``None``: ``watching`` reads them)."""
        now, generation = self.clock(), TRIGGERS.generation
        with self._lock:
            cached = self._cache.get(keys)
        if cached is not None and cached[1] == generation and now - cached[0] < self.ttl:
            return cached[2]
        return None

    def watching(self, keys: tuple[str, ...]) -> list[Pipeline]:
        """The pipelines watching the repositories ``keys``: from memory, or one indexed read."""
        found = self.cached(keys)
        if found is not None:
            return found
        now, generation = self.clock(), TRIGGERS.generation
        with self.store.read() as tx:
            found = list(tx.pipelines.triggered_by(keys))
        with self._lock:
            if len(self._cache) > CACHE_KEYS:
                self._cache.clear()
            self._cache[keys] = (now, generation, found)
        return found

    def read(self, family: str, headers: Mapping[str, str], body: bytes) -> Incoming:
        """The delivery a request holds (``InvalidRequest`` when it holds none)."""
        try:
            d = providers.read(family, headers, body)
        except providers.BadDelivery as e:
            raise InvalidRequest(str(e)) from None
        keys = tuple(sorted({k for u in d.repo_urls if (k := repo_key(u))}))
        return Incoming(d, d.id[:128] or f"bridge-{uuid.uuid4()}", keys)

    def receive(self, family: str, headers: Mapping[str, str], body: bytes) -> Receipt:
        """Read, verify, match and store one delivery (the rows in a transaction shared with the
        deliveries arriving meanwhile: ``GroupCommit``)."""
        incoming = self.read(family, headers, body)
        if incoming.stores_nothing:
            return incoming.receipt()
        accepted = accept(incoming, self.watching(incoming.keys))
        return accepted.receipt(self._writer.add(accepted.rows))


@dataclass(frozen=True)
class Incoming:
    """A delivery read from its request: what it says, its id, the repositories it names (their keys)."""

    delivery: Delivery
    id: str
    keys: tuple[str, ...]

    @property
    def stores_nothing(self) -> bool:
        """A ping, or an event that never starts a run: answered, nothing kept."""
        return self.delivery.ping or not self.delivery.pushes

    def receipt(self) -> Receipt:
        d = self.delivery
        return Receipt(provider=d.provider.value, event=d.event, delivery=self.id, ping=d.ping)


@dataclass(frozen=True)
class Accepted:
    """A delivery checked against the pipelines watching its repository: the rows to store."""

    incoming: Incoming
    pipelines: int
    rows: list[NewDelivery]

    def receipt(self, new: int) -> Receipt:
        """What the provider is told once the rows are stored, ``new`` of them for the first time."""
        d = self.incoming.delivery
        return Receipt(
            provider=d.provider.value,
            event=d.event,
            delivery=self.incoming.id,
            pipelines=self.pipelines,
            queued=sum(1 for r in self.rows if r.status == QUEUED) if new else 0,
            duplicate=new == 0,
        )


def accept(incoming: Incoming, watching: list[Pipeline]) -> Accepted:
    """The rows of a delivery that names at least one push (``Unauthenticated`` when a watching
    pipeline exists and none may be started by it: see the module)."""
    d, delivery_id = incoming.delivery, incoming.id
    accepted = _accepted(d, watching)
    rows = (
        [_row(d, delivery_id, p, push) for p in accepted for push in d.pushes]
        if watching
        else [_unmatched(d, delivery_id, push) for push in d.pushes]
    )
    return Accepted(incoming, len(accepted), rows)


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
