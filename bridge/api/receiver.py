"""``POST /webhooks/<provider>``, answered before Flask: the one route the internet reaches at a burst's rate.

A delivery authenticates by its signature and leaves its own row instead of an audit entry, so none of
the registry's per-request steps (bearer authentication, authorisation, the audit observer, body models)
apply to it; Flask's request and application contexts were then most of a delivery's cost
(``bench/webhooks.py``). This WSGI layer answers the four receiver paths itself, with the same service
(``services.webhooks.WebhookReceiver``) and everything else a route gets: the rate limit per client
address, the body limit, ``application/problem+json`` errors, the security headers, ``X-Request-Id``
(bound for logging), the access log line and the latency metric (labelled by the route template). Any
other request goes on to Flask. The routes stay in the registry, documented in OpenAPI
(``routes/webhooks.py``), not installed.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import EnvironHeaders
from werkzeug.wsgi import get_input_stream

from bridge.api.access import given_or_new_request_id
from bridge.api.hardening import security_headers
from bridge.api.problems import PROBLEM_JSON, document, error_headers
from bridge.api.ratelimit import RateLimiter
from bridge.api.schemas.webhooks import ReceiptOut
from bridge.api.telemetry import access_line
from bridge.errors import BridgeError, TooManyRequests
from bridge.log import REQUEST_ID

if TYPE_CHECKING:
    from bridge.metrics import Metrics
    from bridge.services.webhooks import WebhookReceiver
    from bridge.settings import WebhookSettings

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
FAMILIES = ("github", "gitlab", "gitea", "bitbucket")
PATHS = {f"/webhooks/{family}": family for family in FAMILIES}


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
        self.max_body = settings.max_body_bytes
        self.limiter = RateLimiter(settings.rate_limit)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        family = PATHS.get(path.rstrip("/"))
        if family is None:
            return self.app(environ, start_response)
        started = time.perf_counter()
        request_id = given_or_new_request_id(environ.get("HTTP_X_REQUEST_ID", ""))
        binding = REQUEST_ID.set(request_id)  # every line logged meanwhile names the request
        try:
            status, headers, body = self._answer(environ, family, request_id)
            headers += [("Content-Length", str(len(body))), ("X-Request-Id", request_id)]
            headers += security_headers(secure=environ.get("wsgi.url_scheme") == "https")
            start_response(_status_line(status), headers)
            self._record(environ, path, f"/webhooks/{family}", status, time.perf_counter() - started)
        finally:
            REQUEST_ID.reset(binding)
        return [body]

    def _answer(
        self, environ: dict[str, Any], family: str, request_id: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        path = environ.get("PATH_INFO", "")
        try:
            if environ.get("REQUEST_METHOD") != "POST":
                return _not_allowed(path, request_id)
            wait = self.limiter.allow(environ.get("REMOTE_ADDR") or "")
            if wait is not None:
                raise TooManyRequests(
                    "too many deliveries from this address; try again later", retry_after=wait
                )
            body = self._body(environ)
            if body is None:
                return _problem(
                    413,
                    "request-entity-too-large",
                    "Request Entity Too Large",
                    f"deliveries are limited to {self.max_body} bytes",
                    path,
                    request_id,
                )
            receipt = self.receiver.receive(family, dict(EnvironHeaders(environ)), body)
        except BridgeError as e:
            return _bridge_problem(e, path, request_id)
        except Exception:
            log.exception("unhandled error")
            return _problem(
                500, "internal-error", "Internal error", "an unexpected error occurred", path, request_id
            )
        out = ReceiptOut(**receipt.__dict__).model_dump(mode="json")
        answer = json.dumps(out, ensure_ascii=False).encode()
        return (200 if receipt.ping else 202), [("Content-Type", "application/json")], answer

    def _body(self, environ: dict[str, Any]) -> bytes | None:
        """The raw body, or None when it is over the limit (declared or actually sent)."""
        declared = environ.get("CONTENT_LENGTH") or ""
        if declared.isdigit() and int(declared) > self.max_body:
            return None
        stream = get_input_stream(environ, max_content_length=self.max_body + 1)
        body = stream.read(self.max_body + 1)
        return None if len(body) > self.max_body else body

    def _record(self, environ: dict[str, Any], path: str, route: str, status: int, seconds: float) -> None:
        if self.metrics is not None:
            self.metrics.observe_http("POST", route, status, seconds)
        if self.access_log:
            access_line(environ.get("REQUEST_METHOD", ""), route, path, status, seconds, "webhook")


def not_found(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The rest of a process that serves only the receiver (``jenkins-bridge receive``): ``/healthz`` for
    probes, 404 for anything else (the API is not there)."""
    if environ.get("PATH_INFO") == "/healthz":
        status, headers, body = 200, [("Content-Type", "application/json")], b'{"status": "ok"}'
    else:
        detail = "this process serves only /webhooks/<provider>"
        status, headers, body = _problem(
            404, "not-found", "Not Found", detail, environ.get("PATH_INFO", ""), ""
        )
    start_response(_status_line(status), [*headers, ("Content-Length", str(len(body)))])
    return [body]


def _bridge_problem(e: BridgeError, path: str, request_id: str) -> tuple[int, list[tuple[str, str]], bytes]:
    if e.status >= 500:
        log.error("%s: %s", type(e).__name__, e.detail)
    return _problem(e.status, e.slug, e.title, e.detail, path, request_id, error_headers(e))


def _not_allowed(path: str, request_id: str) -> tuple[int, list[tuple[str, str]], bytes]:
    detail = "The method is not allowed for the requested URL."
    return _problem(
        405, "method-not-allowed", "Method Not Allowed", detail, path, request_id, [("Allow", "POST")]
    )


def _problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    path: str,
    request_id: str,
    extra: list[tuple[str, str]] | None = None,
) -> tuple[int, list[tuple[str, str]], bytes]:
    body = document(status, slug=slug, title=title, detail=detail, instance=path, request_id=request_id)
    headers = [("Content-Type", PROBLEM_JSON), *(extra or [])]
    return status, headers, json.dumps(body, ensure_ascii=False).encode()


def _status_line(status: int) -> str:
    return f"{status} {HTTPStatus(status).phrase}"
