"""`jenkins-bridge serve`: the HTTP API (waitress), optionally with the reconciliation worker.

With ``BRIDGE_API_TLS_CERT``/``KEY`` the bridge terminates TLS itself (waitress has no TLS, so Werkzeug's
threaded server serves instead: one thread per connection, and ``--threads`` does not apply).
With ``BRIDGE_API_TLS_CLIENT_CA`` it also asks clients for a certificate and verifies it: a verified
certificate reaches the WSGI environment as ``SSL_CLIENT_CERT``, which is how a front proxy can prove
itself by certificate (``BRIDGE_AUTH_PROXY_CLIENT_CNS``).

SIGTERM (what container runtimes and service managers send) ends the process like Ctrl-C: the server
stops, the worker's scheduler is shut down (waiting for a running pass) and the scheduler lock
released, the store is closed, and the exit status is 0.
"""

from __future__ import annotations

import logging
import os
import signal
import ssl
import threading
from typing import TYPE_CHECKING, Any

import click

from bridge.errors import ConfigurationError

if TYPE_CHECKING:
    from bridge.settings import ApiSettings

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
    help="Request threads (plain HTTP only).",
)
@click.option("--with-worker", is_flag=True, help="Also run the reconciliation worker in this process.")
def serve(host: str, port: int, threads: int, with_worker: bool) -> None:
    """Serve the API; settings come from BRIDGE_* variables and BRIDGE_CONFIG."""
    import waitress

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

    stop = threading.Event()
    handle: dict[str, Any] = {}
    if with_worker:
        # --- reconciliation worker call site (bridge.reconcile.runner) ---------------------------
        from bridge.reconcile.runner import run_worker

        def _worker() -> None:
            handle["worker"] = run_worker(
                settings, desired=container.desired, jenkins=container.jenkins, block=False, stop=stop
            )

        threading.Thread(target=_worker, name="worker-start", daemon=True).start()
        # ------------------------------------------------------------------------------------------
    app = create_app(container=container)
    scheme = "https" if settings.api.tls_cert else "http"
    log.info("serving on %s://%s:%d/ (OpenAPI at /api/v1/openapi.json)", scheme, host, port)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    try:
        if settings.api.tls_cert:
            _serve_tls(app, host=host, port=port, api=settings.api)
        else:
            waitress.serve(app, host=host, port=port, threads=threads, ident="jenkins-bridge")
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        stop.set()
        worker = handle.get("worker")
        if worker is not None:
            worker.stop()
        container.close()


def _serve_tls(app: Any, *, host: str, port: int, api: ApiSettings) -> None:
    from werkzeug.serving import WSGIRequestHandler, make_server

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(api.tls_cert, api.tls_key)
    if api.tls_client_ca:
        context.load_verify_locations(cafile=api.tls_client_ca)
        context.verify_mode = ssl.CERT_OPTIONAL  # users come with bearer tokens, the proxy with a certificate

    class Handler(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass  # no access log: it would echo query strings; writes are in the audit log

    make_server(host, port, app, threaded=True, ssl_context=context, request_handler=Handler).serve_forever()


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # unwinds waitress' loop into the clean shutdown above
