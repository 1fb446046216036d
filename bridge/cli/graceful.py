"""Stopping ``serve`` without cutting anyone off: waitress run until a stop is asked, then drained.

waitress's own ``serve`` ends on the first signal with whatever was in flight. Here the server's loop
runs until ``stop`` is set (by SIGTERM or Ctrl-C); then the listening socket is closed (new
connections are refused, so a load balancer moves on), the loop keeps running while a request is being
read, served or its response sent, for at most ``grace`` seconds, and only then are the request
threads stopped and the remaining (idle keep-alive) connections closed.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from waitress import wasyncore
from waitress.channel import HTTPChannel

log = logging.getLogger(__name__)
#: How often the loop looks at the stop flag (a signal does not interrupt ``select``).
TICK = 0.25


def busy(channels: dict[Any, Any]) -> int:
    """Connections with a request being read, queued or served, or a response not sent yet."""
    return sum(
        1
        for ch in list(channels.values())
        if isinstance(ch, HTTPChannel) and (ch.request is not None or ch.requests or ch.total_outbufs_len)
    )


def serve_until_stopped(server: Any, stop: threading.Event, *, grace: float) -> None:
    """Run a ``waitress.create_server`` server until ``stop``, then drain it (see the module)."""
    channels = server._map
    poll = server.adj.asyncore_use_poll
    while not stop.is_set():
        wasyncore.loop(timeout=TICK, map=channels, use_poll=poll, count=1)
    wasyncore.dispatcher.close(server)  # the listener only; the trigger stays for the request threads
    deadline = time.monotonic() + grace
    in_flight = busy(channels)
    if in_flight:
        log.info(
            "stopping: no new connections; waiting up to %.0fs for %d requests in flight", grace, in_flight
        )
    while busy(channels) and time.monotonic() < deadline:
        wasyncore.loop(timeout=0.05, map=channels, use_poll=poll, count=1)
    left = busy(channels)
    if left:
        log.warning("stopping: %d requests still in flight after %.0fs are cut off", left, grace)
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=2)
    wasyncore.close_all(channels)
