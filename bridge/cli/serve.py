"""`jenkins-bridge serve`: the HTTP API (waitress), optionally with the reconciliation worker.

``--with-worker`` starts the worker as a child process (``worker_process.py``): the API and the
worker then never compete for one interpreter lock; serve relays the worker's state into its own
``/readyz`` and ``/metrics`` and stops it on the way out.

Concurrency model (``http_server.py``): ``--threads`` request threads plus one thread per log-stream
slot (``BRIDGE_API_MAX_STREAMS``); streams beyond the slots get 503, so they never starve other calls.

Plain HTTP is served by waitress. With ``BRIDGE_API_TLS_CERT``/``KEY`` the bridge terminates TLS itself
(waitress has no TLS), served by cheroot with the same bounded pool of ``--threads`` request threads.
With ``BRIDGE_API_TLS_CLIENT_CA`` it also asks clients for a certificate and verifies it in the
handshake: a verified certificate reaches the WSGI environment as ``SSL_CLIENT_CERT``, which is how a
front proxy can prove itself by certificate (``BRIDGE_AUTH_PROXY_CLIENT_CNS``).

Both servers enforce ``BRIDGE_API_MAX_BODY_BYTES`` themselves: a larger ``Content-Length`` is answered
413 before any of the body is read, and a chunked body is cut off with 413 as soon as it grows past the
limit, so nobody can make the server buffer or spool more than that (Flask's own limit stays as a
second line).

SIGTERM (what container runtimes and service managers send) ends the process like Ctrl-C: the server
stops accepting connections and lets the requests in flight finish (at most
``BRIDGE_API_SHUTDOWN_GRACE`` seconds, ``graceful.py``), then the worker process is told to stop (it
finishes a running pass and releases the scheduler lock) and waited for, the store is closed, and the
exit status is 0.
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
    "--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on."
)
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Request threads for ordinary calls (plain HTTP and TLS alike); log streams get their own.",
)
@click.option(
    "--with-worker",
    is_flag=True,
    help="Also run the reconciliation worker (in a child process this one starts and stops).",
)
def serve(host: str, port: int, threads: int, with_worker: bool) -> None:
    """Serve the API; settings come from BRIDGE_* variables and BRIDGE_CONFIG."""
    from bridge.app import create_app
    from bridge.bootstrap import build_container
    from bridge.log import configure_logging
    from bridge.settings import Settings

    try:
        settings = Settings.load(os.environ)
        configure_logging(settings.log, secrets=settings.secrets())
        log.info("settings: %s", settings.masked())
        if settings.admin_token is None:
            log.warning("BRIDGE_ADMIN_TOKEN is not set: every /api/v1 call will be refused (401)")
        container = build_container(settings)
    except ConfigurationError as e:
        raise click.ClickException(e.detail) from e

    handle: dict[str, Any] = {}
    if with_worker:  # the worker runs in a process of its own (``worker_process.py``)
        from bridge.bootstrap import build_inventory
        from bridge.cli.worker_process import WorkerProcess

        child = WorkerProcess(container.metrics)
        handle["worker"] = child
        container.store.subscribe(child.wake)  # a write through this API starts a pass at once
        container.leader_state = child.leader_state
        if settings.reconcile.leases:  # /readyz lists the controllers this worker holds
            container.leases = child.leases
        inventory = build_inventory(settings, container.store)  # the cluster inventory, if configured
        if inventory is not None:
            handle["inventory"] = inventory.start()
    app = create_app(container=container)
    if settings.metrics.port and container.metrics is not None:
        from bridge.metrics.listener import serve_metrics

        m = settings.metrics
        handle["metrics"] = serve_metrics(container.metrics, host=m.host, port=m.port)
    from bridge.cli.heap import freeze_built_heap

    freeze_built_heap()
    scheme = "https" if settings.api.tls_cert else "http"
    log.info("serving on %s://%s:%d/ (OpenAPI at /api/v1/openapi.json)", scheme, host, port)
    draining = threading.Event()
    if threading.current_thread() is threading.main_thread():
        if settings.api.tls_cert:  # cheroot stops on KeyboardInterrupt, waiting for its request threads
            signal.signal(signal.SIGTERM, _terminate)
        else:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: draining.set())
    try:
        if settings.api.tls_cert:
            from bridge.cli.http_server import pool_size
            from bridge.cli.tls_server import run_until_interrupted, tls_server

            server = tls_server(
                app, host=host, port=port, threads=pool_size(threads, settings.api), api=settings.api
            )
            run_until_interrupted(server)
        else:
            from bridge.cli.graceful import serve_until_stopped
            from bridge.cli.http_server import plain_server

            plain = plain_server(
                app,
                host=host,
                port=port,
                threads=threads,
                api=settings.api,
                max_body=max(settings.api.max_body_bytes, settings.webhooks.max_body_bytes),
            )
            serve_until_stopped(plain, draining, grace=settings.api.shutdown_grace)
            log.info("stopping")
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        for part in ("worker", "inventory", "metrics"):
            running = handle.get(part)
            if running is not None:
                running.stop()
        container.close()


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # unwinds the server's loop into the clean shutdown above
