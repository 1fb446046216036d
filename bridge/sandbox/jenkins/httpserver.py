"""A small threaded HTTP/1.1 WSGI server with keep-alive, for the sandbox.

Why not Werkzeug's development server: it closes the connection after every response, so each
request pays a TCP handshake and a new thread, which caps the sandbox far below what benchmarks
need, and real Jenkins (Jetty) keeps connections alive (clients such as ``requests.Session`` reuse
them). Request bodies are read completely before the application runs, so an unread body can never
be mistaken for the next request on the connection. ``close_all`` drops every open connection:
an outage must refuse new requests on old connections too.
"""

from __future__ import annotations

import contextlib
import io
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote_to_bytes

MAX_BODY = 64 * 1024 * 1024
HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding"})

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class BodyTooLarge(Exception):
    pass


class WSGIServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: WSGIApp) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        super().__init__(address, _Handler)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self._connections.discard(request)

    def close_all(self) -> None:
        """Shut every open connection (idle keep-alive ones included)."""
        with self._connections_lock:
            conns = list(self._connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def serve_in_thread(self, name: str) -> None:
        """Serve on a daemon thread named ``<name>-<port>`` (``close`` stops it)."""
        self._thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{name}-{self.server_port}",
            daemon=True,
        )
        self._thread.start()

    def close(self) -> None:
        """Stop serving (after ``serve_in_thread``), close the listener and every open connection."""
        self.shutdown()
        self.server_close()
        self.close_all()
        if self._thread is not None:
            self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Jetty(12.0.16)"
    sys_version = ""
    timeout = 120  # idle keep-alive connections are dropped after this
    disable_nagle_algorithm = True  # small responses must not wait for delayed ACKs
    server: WSGIServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle_one_request(self) -> None:
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                self.send_error(414)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            self._run_wsgi()
            self.wfile.flush()
        except (TimeoutError, ConnectionError, OSError):
            self.close_connection = True

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline(1024).split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    raise BodyTooLarge()
                chunks.append(self.rfile.read(size))
                self.rfile.readline(3)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise BodyTooLarge()
        return self.rfile.read(length) if length > 0 else b""

    def _environ(self, body: bytes) -> dict[str, Any]:
        path, _, query = self.path.partition("?")
        if path.startswith(("http://", "https://")):  # absolute-form request target
            path = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "/"
        host, port = self.server.server_address[:2]
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "SERVER_NAME": str(host),
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,
        }
        if not environ["CONTENT_TYPE"]:
            del environ["CONTENT_TYPE"]
        for key, value in self.headers.items():
            name = "HTTP_" + key.upper().replace("-", "_")
            if name in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                continue
            environ[name] = f"{environ[name]},{value}" if name in environ else value
        return environ

    def _run_wsgi(self) -> None:
        try:
            body = self._read_body()
        except (BodyTooLarge, ValueError):
            self.close_connection = True
            self.send_error(413 if sys.exc_info()[0] is BodyTooLarge else 400)
            return
        status_headers: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], Any]:
            status_headers[:] = [status, headers]
            return lambda data: None

        result = self.server.app(self._environ(body), start_response)
        status, headers = status_headers
        if (
            self.command != "HEAD"
            and self.request_version == "HTTP/1.1"
            and not any(name.lower() == "content-length" for name, _ in headers)
        ):
            self._stream(result, status, headers)  # Jetty sends a body of unknown length chunked
            return
        try:
            payload = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        lines = [
            f"{self.protocol_version} {status}",
            f"Server: {self.version_string()}",
            f"Date: {self.date_time_string()}",
        ]
        has_length = False
        for name, value in headers:
            lower = name.lower()
            if lower not in HOP_BY_HOP:
                has_length = has_length or lower == "content-length"
                lines.append(f"{name}: {value}")
        if not has_length:
            lines.append(f"Content-Length: {len(payload)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        self.wfile.write(head if self.command == "HEAD" else head + payload)  # one write: no Nagle stall

    def _stream(self, result: Iterable[bytes], status: str, headers: list[tuple[str, str]]) -> None:
        """A body of unknown length (a growing log), sent chunk by chunk as the application yields it."""
        lines = [
            f"{self.protocol_version} {status}",
            f"Server: {self.version_string()}",
            f"Date: {self.date_time_string()}",
            *(f"{name}: {value}" for name, value in headers if name.lower() not in HOP_BY_HOP),
            "Transfer-Encoding: chunked",
        ]
        if self.close_connection:
            lines.append("Connection: close")
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace"))
        try:
            for data in result:
                if data:
                    self.wfile.write(b"%x\r\n%b\r\n" % (len(data), data))
            self.wfile.write(b"0\r\n\r\n")
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
