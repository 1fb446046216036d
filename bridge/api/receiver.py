"""``POST /webhooks/<provider>`` in ``serve``, answered before Flask: the one route the internet reaches
at a burst's rate.

A delivery authenticates by its signature and leaves its own row instead of an audit entry, so none of
the registry's per-request steps (bearer authentication, authorisation, the audit observer, body models)
apply to it; Flask's request and application contexts were then most of a delivery's cost
(``bench/webhooks.py``). This WSGI layer answers the four receiver paths itself, with the same service
(``services.webhooks.WebhookReceiver``) and the same answers as ``jenkins-bridge receive``
(``receiving.py``: rate limit, body limit, problems, security headers, ``X-Request-Id``), plus the
access log line and the latency metric (labelled by the route template). Any other request goes on to
Flask. The routes stay in the registry, documented in OpenAPI (``routes/webhooks.py``), not installed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import EnvironHeaders
from werkzeug.wsgi import get_input_stream

from bridge.api import receiving
from bridge.api.access import given_or_new_request_id
from bridge.api.telemetry import access_line
from bridge.log import REQUEST_ID

if TYPE_CHECKING:
    from bridge.metrics import Metrics
    from bridge.services.webhooks import WebhookReceiver
    from bridge.settings import WebhookSettings

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Receiver:
    """The WSGI middleware: the receiver paths answered with ``receiver``, the rest by ``app``."""

    def __init__(
        self,
        receiver: WebhookReceiver,
        settings: WebhookSettings,
        app: WSGIApp,
        *,
        access_log: bool = True,
        metrics: Metrics | None = None,
    ) -> None:
        self.receiver, self.app, self.access_log, self.metrics = receiver, app, access_log, metrics
        self.gate = receiving.Gate(settings)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        family = receiving.family_of(path)
        if family is None:
            return self.app(environ, start_response)
        started = time.perf_counter()
        request_id = given_or_new_request_id(environ.get("HTTP_X_REQUEST_ID", ""))
        binding = REQUEST_ID.set(request_id)  # every line logged meanwhile names the request
        try:
            answer = self._answer(environ, family, path, request_id)
            secure = environ.get("wsgi.url_scheme") == "https"
            start_response(
                receiving.status_line(answer[0]), receiving.final_headers(answer, request_id, secure=secure)
            )
            self._record(environ, path, f"/webhooks/{family}", answer[0], time.perf_counter() - started)
        finally:
            REQUEST_ID.reset(binding)
        return [answer[2]]

    def _answer(self, environ: dict[str, Any], family: str, path: str, request_id: str) -> receiving.Answer:
        try:
            refused = self.gate.refuse(
                environ.get("REQUEST_METHOD", ""),
                environ.get("REMOTE_ADDR") or "",
                environ.get("CONTENT_LENGTH") or "",
                path,
                request_id,
            )
            if refused is not None:
                return refused
            max_body = self.gate.max_body
            body = get_input_stream(environ, max_content_length=max_body + 1).read(max_body + 1)
            if len(body) > max_body:
                return self.gate.too_large(path, request_id)
            receipt = self.receiver.receive(family, dict(EnvironHeaders(environ)), body)
        except Exception as e:
            return receiving.failed(e, path, request_id)
        return receiving.received(receipt)

    def _record(self, environ: dict[str, Any], path: str, route: str, status: int, seconds: float) -> None:
        if self.metrics is not None:
            self.metrics.observe_http("POST", route, status, seconds)
        if self.access_log:
            access_line(environ.get("REQUEST_METHOD", ""), route, path, status, seconds, "webhook")
