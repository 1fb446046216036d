"""The TLS server of ``jenkins-bridge serve``: cheroot, with a bounded thread pool and the body limit.

cheroot verifies client certificates in the handshake (``CERT_OPTIONAL`` against the configured CA:
a certificate signed by another CA ends the handshake) and hands a verified one to the app as
``SSL_CLIENT_CERT`` (PEM), which ``bridge.api.access.client_cert_cn`` reads.

Body limit: cheroot answers a ``Content-Length`` over ``max_request_body_size`` with 413 before reading
the body. A chunked body has no length up front, so ``chunked_body_limit`` reads it (at most the limit,
once, into memory: what waitress does for every body) before the app runs, and answers 413 the moment
it grows past the limit; the rest is never read and the connection is closed.
"""

from __future__ import annotations

import io
import json
import logging
import ssl
import threading
from typing import TYPE_CHECKING, Any

from bridge.api.hardening import HEADERS

if TYPE_CHECKING:
    from bridge.settings import ApiSettings

log = logging.getLogger(__name__)

#: Largest request head (request line and headers) accepted, like waitress's default order of size.
MAX_HEADER_BYTES = 64 * 1024
#: The message of the ``OSError`` cheroot raises when a chunk would pass ``max_request_body_size``.
TOO_LARGE = "Request Entity Too Large"


def tls_context(api: ApiSettings) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(api.tls_cert, api.tls_key)
    if api.tls_client_ca:
        context.load_verify_locations(cafile=api.tls_client_ca)
        context.verify_mode = ssl.CERT_OPTIONAL  # users come with bearer tokens, the proxy with a certificate
    return context


def tls_server(app: Any, *, host: str, port: int, threads: int, api: ApiSettings) -> Any:
    """A cheroot server: exactly ``threads`` request threads, TLS from ``api``, the body limit."""
    from cheroot import wsgi
    from cheroot.ssl.builtin import BuiltinSSLAdapter

    adapter = BuiltinSSLAdapter(api.tls_cert, api.tls_key)
    adapter.context = tls_context(api)
    server = wsgi.Server(
        (host, port),
        chunked_body_limit(app, api.max_body_bytes),
        numthreads=threads,
        max=threads,
        server_name="jenkins-bridge",
        accepted_queue_size=threads * 8,
    )
    server.ssl_adapter = adapter
    server.max_request_body_size = api.max_body_bytes
    server.max_request_header_size = MAX_HEADER_BYTES
    return server


#: Seconds ``run_until_interrupted`` gives cheroot to stop its threads before the process moves on.
STOP_GRACE = 10.0


def run_until_interrupted(server: Any) -> None:
    """Serve until Ctrl-C/SIGTERM, then stop within ``STOP_GRACE`` seconds.

    The server runs on a daemon thread, so its worker threads are daemons too (threads inherit it):
    cheroot's ``stop`` can wait forever for a worker that missed its shutdown request (seen with a
    large pool), and then the process still ends, after the grace, instead of hanging.
    """
    runner = threading.Thread(target=server.safe_start, name="tls-server", daemon=True)
    runner.start()
    try:
        while runner.is_alive():
            runner.join(0.5)  # Ctrl-C and SIGTERM arrive on the main thread, here
    finally:
        stopper = threading.Thread(target=server.stop, name="tls-server-stop", daemon=True)
        stopper.start()
        stopper.join(STOP_GRACE)
        if stopper.is_alive():
            log.warning("the TLS server did not stop its threads in %.0f s; exiting anyway", STOP_GRACE)


def chunked_body_limit(app: Any, limit: int) -> Any:
    """WSGI middleware: a chunked body is read up to ``limit`` bytes before ``app`` runs; a longer
    one is answered 413 (problem document) without reading further."""
    from cheroot.errors import MaxSizeExceeded

    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        if "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            return app(environ, start_response)
        stream = environ["wsgi.input"]
        body = bytearray()
        try:
            while len(body) <= limit:
                data = stream.read(min(64 * 1024, limit + 1 - len(body)))
                if not data:
                    break
                body += data
        except MaxSizeExceeded:
            return _too_large(environ, start_response, limit)
        except OSError as e:  # cheroot says so when a chunk header announces more than the limit
            if e.args != (TOO_LARGE,):
                raise
            return _too_large(environ, start_response, limit)
        if len(body) > limit:
            return _too_large(environ, start_response, limit)
        environ["wsgi.input"] = io.BytesIO(bytes(body))
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return app(environ, start_response)

    return wrapped


def _too_large(environ: dict[str, Any], start_response: Any, limit: int) -> list[bytes]:
    body = json.dumps(
        {
            "type": "urn:jenkins-bridge:problem:request-entity-too-large",
            "title": "Request Entity Too Large",
            "status": 413,
            "detail": f"the request body is larger than {limit} bytes",
            "instance": environ.get("PATH_INFO", ""),
        }
    ).encode()
    headers = [
        ("Content-Type", "application/problem+json"),
        ("Content-Length", str(len(body))),
        ("Connection", "close"),
        *HEADERS.items(),
    ]
    start_response("413 Request Entity Too Large", headers)
    return [body]
