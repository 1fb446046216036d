"""``jenkins-bridge receive``: the push receiver on an event loop (ASGI, served by uvicorn).

The process Git servers reach answers ``POST /webhooks/<provider>`` and ``GET /healthz``, nothing
else (404). On threads, a burst's cost was the threads themselves: each delivery's own work (read,
verify, match: ~0.05 ms) was a small part of what a WSGI server spent handing requests between a pool
of threads that share one interpreter lock (``bench/webhooks.py``). Here one event loop reads the
requests (httptools, in C), decides each delivery, and hands its rows to one writer thread that stores
every delivery waiting at that moment in one transaction (``services.webhook_writes.BatchWriter``); the
request's 202 is sent only once its rows are committed. The loop never waits on the store: the writes
are the writer's, and a read of the pipelines watching a repository (on a miss of the receiver's
cache) runs in a thread, once for all the requests that need it.

The answers are ``serve``'s (``receiving.py``). The client address the rate limit counts is the
socket's peer, or with ``api.trusted_proxy_hops`` set, the address that many proxies back in
``X-Forwarded-For`` (as ``serve``'s ``ProxyFix``); ``X-Forwarded-Proto`` likewise decides HSTS.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bridge.api import receiving
from bridge.api.access import given_or_new_request_id
from bridge.api.telemetry import access_line
from bridge.log import REQUEST_ID
from bridge.services.webhook_writes import BatchWriter, Outcome
from bridge.services.webhooks import accept

if TYPE_CHECKING:
    from bridge.domain.model import Pipeline
    from bridge.metrics import Metrics
    from bridge.services.webhooks import WebhookReceiver
    from bridge.settings import WebhookSettings

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class ClientGone(Exception):
    """The client closed the connection before its request was read: nobody to answer."""


class AsyncReceiver:
    """The ASGI app (``http`` and ``lifespan`` scopes). ``close`` stores what was submitted, then stops
    the writer (the lifespan's shutdown does it)."""

    def __init__(
        self,
        receiver: WebhookReceiver,
        settings: WebhookSettings,
        *,
        proxy_hops: int = 0,
        access_log: bool = True,
        metrics: Metrics | None = None,
    ) -> None:
        self.receiver, self.proxy_hops, self.access_log = receiver, proxy_hops, access_log
        self.metrics = metrics
        self.gate = receiving.Gate(settings)
        self._writer: BatchWriter[asyncio.Future[int]] | None = None
        self._reading: dict[tuple[str, ...], asyncio.Future[list[Pipeline]]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await asyncio.to_thread(self.close)
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _start(self) -> BatchWriter[asyncio.Future[int]]:
        if self._writer is None:
            loop = asyncio.get_running_loop()

            def report(outcomes: list[tuple[asyncio.Future[int], Outcome]]) -> None:
                loop.call_soon_threadsafe(_settle, outcomes)

            self._writer = BatchWriter(self.receiver.store, report)
        return self._writer

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        client, secure = self._client(scope, headers)
        family = receiving.family_of(path)
        if family is None:
            found = path == "/healthz" and scope["method"] in ("GET", "HEAD")
            await _send(send, receiving.healthy() if found else receiving.not_found(path), "", secure)
            return
        started = time.perf_counter()
        request_id = given_or_new_request_id(headers.get("x-request-id", ""))
        binding = REQUEST_ID.set(request_id)  # every line logged meanwhile names the request
        try:
            try:
                method = scope["method"]
                answer = await self._answer(method, client, receive, headers, family, path, request_id)
            except ClientGone:
                return
            await _send(send, answer, request_id, secure)
            seconds, route = time.perf_counter() - started, f"/webhooks/{family}"
            if self.metrics is not None:
                self.metrics.observe_http(scope["method"], route, answer[0], seconds)
            if self.access_log:
                access_line(scope["method"], route, path, answer[0], seconds, "webhook")
        finally:
            REQUEST_ID.reset(binding)

    async def _answer(
        self,
        method: str,
        client: str,
        receive: Receive,
        headers: dict[str, str],
        family: str,
        path: str,
        request_id: str,
    ) -> receiving.Answer:
        try:
            refused = self.gate.refuse(method, client, headers.get("content-length", ""), path, request_id)
            if refused is not None:
                return refused
            body = await _body(receive, self.gate.max_body)
            if body is None:
                return self.gate.too_large(path, request_id)
            incoming = self.receiver.read(family, headers, body)
            if incoming.stores_nothing:
                return receiving.received(incoming.receipt())
            accepted = accept(incoming, await self._watching(incoming.keys))
            stored: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            self._start().submit(accepted.rows, stored)
            return receiving.received(accepted.receipt(await stored))
        except ClientGone:
            raise
        except Exception as e:
            return receiving.failed(e, path, request_id)

    async def _watching(self, keys: tuple[str, ...]) -> list[Pipeline]:
        """The pipelines watching ``keys``: from the receiver's cache, else one indexed read in a thread,
        shared by every request that asks for the same keys meanwhile (a burst's requests would
        otherwise each read them when the cache entry expires)."""
        found = self.receiver.cached(keys)
        if found is not None:
            return found
        reading = self._reading.get(keys)
        if reading is None:
            reading = asyncio.ensure_future(asyncio.to_thread(self.receiver.watching, keys))
            self._reading[keys] = reading
            reading.add_done_callback(lambda _: self._reading.pop(keys, None))
        return await asyncio.shield(reading)

    def _client(self, scope: Scope, headers: dict[str, str]) -> tuple[str, bool]:
        """The client address and whether it reached the bridge over https (see the module)."""
        peer = scope.get("client")
        client = peer[0] if peer else ""
        secure = scope.get("scheme") == "https"
        if self.proxy_hops:
            forwarded = _trusted(headers.get("x-forwarded-for", ""), self.proxy_hops)
            client = forwarded or client
            proto = _trusted(headers.get("x-forwarded-proto", ""), self.proxy_hops)
            secure = proto == "https" if proto else secure
        return client, secure


def _trusted(value: str, hops: int) -> str:
    """The value ``hops`` proxies back in a comma-separated forwarding header, or ``""``."""
    values = [v.strip() for v in value.split(",") if v.strip()]
    return values[-hops] if len(values) >= hops else ""


def _settle(outcomes: list[tuple[asyncio.Future[int], Outcome]]) -> None:
    for future, outcome in outcomes:
        if future.done():
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


async def _body(receive: Receive, limit: int) -> bytes | None:
    """The request's body, or ``None`` once more than ``limit`` bytes arrived (not read further)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send(send: Send, answer: receiving.Answer, request_id: str, secure: bool) -> None:
    status, _, body = answer
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in receiving.final_headers(answer, request_id, secure=secure)
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
