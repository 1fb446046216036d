"""``BRIDGE_API_MAX_BODY_BYTES`` is enforced by the HTTP server itself, plain (waitress) and TLS
(cheroot): an oversize ``Content-Length`` is answered 413 before any body byte is read, and a chunked
body is cut off with 413 once it passes the limit, long before the client stops sending. Without this,
waitress's 1 GiB default applied first and any client could make the server spool that much to disk.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet

from tests.e2e.test_serve_process import CLI, _free_port, _until
from tests.e2e.test_serve_tls import Ca

TOKEN = "body-limit-admin-token-71c3"
LIMIT = 64 * 1024
#: Far more than the limit and than any socket buffers on the way: a server that reads it all never
#: answers before the test stops sending.
STREAMED = 48 * 1024 * 1024


@dataclass
class Served:
    port: int
    ca: Path | None

    def connect(self) -> socket.socket:
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        if self.ca is None:
            return raw
        context = ssl.create_default_context(cafile=str(self.ca))
        return context.wrap_socket(raw, server_hostname="127.0.0.1")

    @property
    def base(self) -> str:
        return f"{'https' if self.ca else 'http'}://127.0.0.1:{self.port}"


@pytest.fixture(params=["plain", "tls"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")},
        "BRIDGE_DATA_DIR": str(tmp_path / "data"),
        "BRIDGE_ADMIN_TOKEN": TOKEN,
        "BRIDGE_SECRET_KEY": Fernet.generate_key().decode(),
        "BRIDGE_API_MAX_BODY_BYTES": str(LIMIT),
    }
    ca_path = None
    if request.param == "tls":
        ca = Ca(tmp_path, "test-ca")
        cert, key = ca.issue("bridge", server=True)
        env |= {"BRIDGE_API_TLS_CERT": cert, "BRIDGE_API_TLS_KEY": key}
        ca_path = ca.path
    port = _free_port()
    proc = subprocess.Popen(
        [str(CLI), "serve", "--port", str(port), "--threads", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    served = Served(port, ca_path)
    verify = str(ca_path) if ca_path else True
    try:
        _until("the bridge", lambda: requests.get(served.base + "/healthz", verify=verify, timeout=2).ok)
        yield served
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out.decode(errors="replace")


def _head(path: str, *headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _status(sock: socket.socket, timeout: float = 10.0, data: bytes = b"") -> int:
    sock.settimeout(timeout)
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    assert data.startswith(b"HTTP/1."), data[:200]
    return int(data.split(b" ", 2)[1])


def _answer_started(sock: socket.socket) -> bytes:
    """What the server has answered so far, without waiting (TLS records that carry no data, such as
    session tickets, make the socket readable too)."""
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return b""
    sock.settimeout(0.0)
    try:
        return sock.recv(4096)
    except (ssl.SSLWantReadError, BlockingIOError):
        return b""
    finally:
        sock.settimeout(10)


@pytest.mark.parametrize("auth", [True, False], ids=["admin", "anonymous"])
def test_an_oversize_content_length_is_refused_before_the_body_is_read(served: Served, auth: bool) -> None:
    with served.connect() as sock:
        headers = [f"Content-Length: {100 * LIMIT}"] + ([f"Authorization: Bearer {TOKEN}"] if auth else [])
        sock.sendall(_head("/api/v1/workspaces", *headers))  # and not one byte of the body
        assert _status(sock) == 413, "the server answers without waiting for a body it will not read"


def _stream_chunks(sock: socket.socket) -> tuple[int, bytes]:
    """Send 8 KiB chunks until the server answers or ``STREAMED`` bytes went out; returns the bytes
    sent and the start of the answer."""
    sent, chunk = 0, b"2000\r\n" + b"x" * 0x2000 + b"\r\n"
    try:
        while sent < STREAMED:
            sock.sendall(chunk)
            sent += 0x2000
            answer = _answer_started(sock)
            if answer:
                return sent, answer
    except (BrokenPipeError, ConnectionResetError, ssl.SSLEOFError):
        pass  # the server answered and closed: what we want
    return sent, b""


def test_a_chunked_body_is_cut_off_at_the_limit(served: Served) -> None:
    with served.connect() as sock:
        sock.sendall(
            _head("/api/v1/workspaces", "Transfer-Encoding: chunked", f"Authorization: Bearer {TOKEN}")
        )
        started = time.monotonic()
        sent, answer = _stream_chunks(sock)
        assert _status(sock, timeout=5, data=answer) == 413
    assert sent < STREAMED, "the server kept reading far past the limit"
    assert time.monotonic() - started < 20


def test_a_body_within_the_limit_is_served(served: Served) -> None:
    verify = str(served.ca) if served.ca else True
    auth = {"Authorization": f"Bearer {TOKEN}"}
    body = {"name": "ws", "description": "d" * 4000, "clusters": [f"cluster-{i:05}" for i in range(1000)]}
    r = requests.post(served.base + "/api/v1/workspaces", json=body, headers=auth, verify=verify, timeout=10)
    assert r.status_code == 201, r.text
    chunked = requests.post(
        served.base + "/api/v1/workspaces",
        data=iter([b'{"name": "ws-2", ', b'"description": "chunked"}']),
        headers={**auth, "Content-Type": "application/json"},
        verify=verify,
        timeout=10,
    )
    assert chunked.status_code == 201, chunked.text
