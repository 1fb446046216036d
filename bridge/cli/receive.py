"""`jenkins-bridge receive`: the push receiver alone, the process to expose to Git servers.

It answers ``POST /webhooks/<provider>`` (``bridge.api.receiver_asgi``: verified, stored, 202) and
``GET /healthz``; every other path is 404, so the internet-facing process serves nothing of the API.
Deliveries become runs in the worker (``serve --with-worker`` or ``worker``), never here.

Run it as its own Deployment (or container) behind the ingress that Git servers reach, next to the
API's: it shares the store with ``serve`` and the worker. What stays in the process: the rate limit per
client address. With ``BRIDGE_METRICS_PORT`` set, ``/metrics`` is served on that port (as the worker's):
the request latency by route and status, and the store's gauges (``bridge_webhook_deliveries`` by status).

It runs on an event loop (``bridge.api.receiver_asgi``, uvicorn with uvloop and httptools), not on
``serve``'s request threads: see that module for why. SIGTERM or SIGINT stops it accepting
connections, lets the requests in flight finish (at most ``api.shutdown_grace`` seconds) and exits 0.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import threading
from typing import Any

import click

from bridge.errors import ConfigurationError

log = logging.getLogger(__name__)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on."
)
@click.option(
    "--connections",
    default=1000,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Open connections at most (more are answered 503).",
)
def receive(host: str, port: int, connections: int) -> None:
    """Serve only the push-webhook receiver; settings come from BRIDGE_* variables and BRIDGE_CONFIG."""
    from bridge.log import configure_logging
    from bridge.settings import Settings

    try:
        settings = Settings.load(os.environ)
        configure_logging(settings.log, secrets=settings.secrets())
    except ConfigurationError as e:
        raise click.ClickException(e.detail) from e
    if settings.api.tls_cert:
        raise click.ClickException("receive serves plain HTTP: terminate TLS at the ingress or load balancer")
    log.info("receiving push deliveries on http://%s:%d/webhooks/", host, port)
    if not _serve(settings, host, port, connections):
        raise click.ClickException(f"could not serve on {host}:{port}")


def _serve(settings: Any, host: str, port: int, connections: int) -> bool:
    """Serve until SIGTERM or SIGINT, then drain; whether the server started at all."""
    from bridge.api.receiver_asgi import AsyncReceiver
    from bridge.bootstrap import build_receiver

    receiver = build_receiver(settings)
    metrics, listener = None, None
    if settings.metrics.port:  # no API here: /metrics on its own listener, as the worker's
        from bridge.bootstrap import build_metrics
        from bridge.metrics.listener import serve_metrics

        metrics = build_metrics(receiver.store, {})
        listener = serve_metrics(metrics, host=settings.metrics.host, port=settings.metrics.port)
    app = AsyncReceiver(
        receiver,
        settings.webhooks,
        proxy_hops=settings.api.trusted_proxy_hops,
        access_log=settings.log.requests,
        metrics=metrics,
    )
    from bridge.cli.heap import freeze_built_heap

    freeze_built_heap()
    server = loop_server(
        app, host=host, port=port, connections=connections, grace=settings.api.shutdown_grace
    )
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    # the server's loop runs in a thread of its own, so the signals stay this thread's (uvicorn would
    # re-raise them once drained, ending the process by the signal instead of with status 0)
    thread = threading.Thread(target=server.run, name="receiver-loop")
    thread.start()
    try:
        while thread.is_alive() and not stop.wait(0.25):
            pass
        server.should_exit = True
        thread.join()
    finally:
        app.close()
        if listener is not None:
            listener.stop()
        receiver.store.close()
    return bool(server.started)


def loop_server(app: Any, *, host: str, port: int, connections: int, grace: float) -> Any:
    """The event-loop server of an ASGI app (a ``uvicorn.Server``: ``run()`` serves until its
    ``should_exit``, then stops accepting, finishes the requests in flight within ``grace`` seconds
    and runs the app's lifespan shutdown)."""
    import uvicorn

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        log_config=None,  # the bridge's logging (configure_logging) stays as it is
        access_log=False,  # the receiver writes the bridge's own access line
        server_header=False,
        proxy_headers=False,  # the receiver reads X-Forwarded-* itself, trusting api.trusted_proxy_hops
        limit_concurrency=connections,
        timeout_graceful_shutdown=max(1, math.ceil(grace)),
    )
    return uvicorn.Server(config)
