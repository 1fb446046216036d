"""`jenkins-bridge receive`: the push receiver alone, the process to expose to Git servers.

It answers ``POST /webhooks/<provider>`` (``bridge.api.receiver``: verified, stored, 202) and
``GET /healthz``; every other path is 404, so the internet-facing process serves nothing of the API.
Deliveries become runs in the worker (``serve --with-worker`` or ``worker``), never here.

Run it as its own Deployment (or container) behind the ingress that Git servers reach, next to the
API's: it shares the store with ``serve`` and the worker. What stays in the process: the rate limit per
client address, and the request latency metric (not exported here; ``bridge_webhook_deliveries`` on
the API counts deliveries by status).

SIGTERM or SIGINT drains it like ``serve`` (``graceful.py``) and exits 0.
"""

from __future__ import annotations

import logging
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
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="Request threads.")
def receive(host: str, port: int, threads: int) -> None:
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
    _serve(settings, host, port, threads)


def _serve(settings: Any, host: str, port: int, threads: int) -> None:
    from bridge.api.receiver import Receiver, not_found
    from bridge.bootstrap import build_receiver
    from bridge.cli.graceful import serve_until_stopped
    from bridge.cli.http_server import plain_server

    receiver = build_receiver(settings)
    app = Receiver(receiver, settings.webhooks, not_found, access_log=settings.log.requests)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server = plain_server(
        app,
        host=host,
        port=port,
        threads=threads,
        api=settings.api,
        max_body=settings.webhooks.max_body_bytes,
        streams=False,
    )
    try:
        serve_until_stopped(server, stop, grace=settings.api.shutdown_grace)
    finally:
        receiver.store.close()
