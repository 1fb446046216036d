"""The plain-HTTP server of ``jenkins-bridge serve`` and the concurrency model both servers share.

**Threads, with streams kept apart.** The API is synchronous WSGI (Flask, SQLAlchemy, requests), so
the server runs it on a bounded pool of threads. Log streams (SSE) hold a thread for as long as a
reader follows a run, mostly asleep on a condition variable, so the pool is sized ``threads +
api.max_streams``: ``threads`` for ordinary calls and one per stream slot. A stream takes a slot
before it starts (``services/run_logs.py``) and a request for one more gets 503 with ``Retry-After``, so
at most ``max_streams`` threads are ever held by streams and ordinary calls always keep ``threads``
of their own. A sleeping stream costs a thread's stack and no CPU; the Jenkins side is one shared poll
per build, not one per reader. TLS (cheroot, ``tls_server.py``) uses the same pool size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bridge.settings import ApiSettings

#: Connections waitress accepts beyond its threads (idle keep-alive clients wait in its event loop).
SPARE_CONNECTIONS = 100
#: Bytes of a response waitress buffers for a slow client before the thread writing it waits (its
#: default, 16 MiB, would let every reader of a large log park that much in the bridge's memory).
OUTBUF_HIGH_WATERMARK = 256 * 1024


def pool_size(threads: int, api: ApiSettings) -> int:
    """Request threads plus one per stream slot."""
    return threads + api.max_streams


def plain_server(
    app: Any,
    *,
    host: str,
    port: int,
    threads: int,
    api: ApiSettings,
    max_body: int | None = None,
    streams: bool = True,
) -> Any:
    """A waitress server (call ``run()``; ``close()`` stops it) with the pool of ``pool_size``; without
    ``streams`` (an app that serves none) the pool is ``threads`` alone."""
    import waitress.server

    pool = pool_size(threads, api) if streams else threads
    return waitress.server.create_server(
        app,
        host=host,
        port=port,
        threads=pool,
        connection_limit=pool + SPARE_CONNECTIONS,
        ident="jenkins-bridge",
        max_request_body_size=max_body or api.max_body_bytes,
        outbuf_high_watermark=OUTBUF_HIGH_WATERMARK,
        outbuf_overflow=OUTBUF_HIGH_WATERMARK,
    )
