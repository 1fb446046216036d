"""The TLS server in-process: a bounded pool of exactly ``--threads`` request threads, and the verified
client certificate handed to the app as ``SSL_CLIENT_CERT``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from bridge.api.access import client_cert_cn
from bridge.cli.tls_server import tls_server
from bridge.settings import ApiSettings
from tests.e2e.test_serve_process import _free_port, _until
from tests.e2e.test_serve_tls import Ca


class Probe:
    """A WSGI app that holds each request until released and records the peak concurrency."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active = self.peak = 0
        self.release = threading.Event()
        self.cns: list[str | None] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["PATH_INFO"] == "/hold":
            with self.lock:
                self.active += 1
                self.peak = max(self.peak, self.active)
            self.release.wait(20)
            with self.lock:
                self.active -= 1
        self.cns.append(client_cert_cn(environ))
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Ca, Probe]]:
    ca = Ca(tmp_path, "test-ca")
    cert, key = ca.issue("bridge", server=True)
    api = ApiSettings(tls_cert=cert, tls_key=key, tls_client_ca=str(ca.path), max_body_bytes=4096)
    probe = Probe()
    port = _free_port()
    server = tls_server(probe, host="127.0.0.1", port=port, threads=2, api=api)
    thread = threading.Thread(target=server.safe_start, daemon=True)
    thread.start()
    base = f"https://127.0.0.1:{port}"
    _until("the TLS server", lambda: requests.get(base + "/", verify=str(ca.path), timeout=2).ok)
    try:
        yield base, ca, probe
    finally:
        probe.release.set()
        server.stop()
        thread.join(10)


def test_the_pool_has_exactly_the_configured_threads(served: tuple[str, Ca, Probe]) -> None:
    base, ca, probe = served
    with ThreadPoolExecutor(6) as pool:
        futures = [
            pool.submit(requests.get, base + "/hold", verify=str(ca.path), timeout=30) for _ in range(6)
        ]
        _until("two requests in the app", lambda: probe.active >= 2)
        threading.Event().wait(0.5)  # give any extra thread the chance to take a third request
        assert probe.peak == 2, "more requests ran at once than --threads"
        probe.release.set()
        assert all(f.result().status_code == 200 for f in futures)
    assert probe.peak == 2


def test_the_verified_client_certificate_reaches_the_app(served: tuple[str, Ca, Probe]) -> None:
    base, ca, probe = served
    probe.release.set()
    assert requests.get(base + "/", cert=ca.issue("console-backend"), verify=str(ca.path), timeout=5).ok
    assert requests.get(base + "/", verify=str(ca.path), timeout=5).ok
    assert probe.cns[-2:] == ["console-backend", None]
