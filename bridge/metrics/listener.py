"""``BRIDGE_METRICS_PORT``: ``/metrics`` on a listener of its own, for processes without the API
(``worker``) or for scrapers that should not hold an API credential. It serves nothing else."""

from __future__ import annotations

import logging
import threading
from wsgiref.simple_server import WSGIServer

from prometheus_client import start_http_server

from bridge.metrics.instruments import Metrics

log = logging.getLogger(__name__)


class MetricsListener:
    def __init__(self, server: WSGIServer, thread: threading.Thread) -> None:
        self.server, self.thread = server, thread

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_metrics(metrics: Metrics, *, host: str, port: int) -> MetricsListener:
    server, thread = start_http_server(port, addr=host, registry=metrics.registry)
    listener = MetricsListener(server, thread)
    log.info("metrics on http://%s:%d/metrics", host, listener.port)
    return listener
