"""What every API request leaves behind: one access log line and the latency histogram.

The line goes to the ``bridge.access`` logger (``BRIDGE_LOG_REQUESTS``): method, route template,
path, status, duration and the authenticated user, never a header, a query string or a body (so no
token or secret can reach it). The latency metric is labelled by the route *template*
(``/api/v1/projects/<project>``), never the path, and ``unmatched`` for a 404 without a route.

While the request is served, its path parameters ``project``, ``pipeline`` and ``run`` are bound as
log context (``bridge.log.log_context``): every line logged meanwhile names them.
"""

from __future__ import annotations

import logging
import time
from contextlib import ExitStack

from flask import Flask, Response, g, request

from bridge.log import log_context

log = logging.getLogger("bridge.access")
CONTEXT_PARAMS = ("project", "pipeline", "run")


def install(app: Flask, *, access_log: bool = True) -> None:
    @app.before_request
    def _start() -> None:
        g.telemetry_started = time.perf_counter()
        args = request.view_args or {}
        bound = {name: str(args[name]) for name in CONTEXT_PARAMS if name in args}
        if bound:
            stack = ExitStack()
            stack.enter_context(log_context(**bound))
            g.telemetry_context = stack

    @app.after_request
    def _record(response: Response) -> Response:
        started = g.get("telemetry_started")
        if started is None:
            return response
        seconds = time.perf_counter() - started
        rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
        container = app.extensions.get("bridge")
        metrics = getattr(container, "metrics", None)
        if metrics is not None:
            metrics.observe_http(request.method, rule, response.status_code, seconds)
        if access_log:
            user = getattr(g.get("principal"), "name", None)
            access_line(request.method, rule, request.path, response.status_code, seconds, user)
        return response

    @app.teardown_request
    def _unbind(_error: BaseException | None) -> None:
        stack = g.pop("telemetry_context", None)
        if stack is not None:
            stack.close()


def access_line(method: str, route: str, path: str, status: int, seconds: float, user: str | None) -> None:
    """The one access log line of a request (also the receiver's, answered outside Flask)."""
    log.info(
        "%s %s %d %.1fms user=%s",
        method,
        path,
        status,
        seconds * 1000,
        user or "-",
        extra={
            "method": method,
            "route": route,
            "path": path,
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
            "user": user,
        },
    )
