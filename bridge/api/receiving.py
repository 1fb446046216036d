"""What both push receivers answer, whatever serves them: the checks before a delivery is read, and
every answer's status, headers and body.

Two servers answer ``POST /webhooks/<provider>``: ``serve``'s WSGI middleware (``receiver.py``, in
front of Flask) and ``jenkins-bridge receive``'s event loop (``receiver_asgi.py``). Both use the same
service (``services.webhooks.WebhookReceiver``) and this module, so a delivery gets the same answers
from either: the rate limit per client address (429 with ``Retry-After``), the body limit (413,
declared or actually sent), 405 with ``Allow: POST``, ``application/problem+json`` errors (401 with
``WWW-Authenticate``), the security headers (HSTS on https) and ``X-Request-Id``.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import TYPE_CHECKING

from bridge.api.hardening import security_headers
from bridge.api.problems import PROBLEM_JSON, document, error_headers
from bridge.api.ratelimit import RateLimiter
from bridge.errors import BridgeError, TooManyRequests

if TYPE_CHECKING:
    from bridge.services.webhooks import Receipt
    from bridge.settings import WebhookSettings

log = logging.getLogger(__name__)

#: An answer before the per-response headers: status, headers, body.
Answer = tuple[int, list[tuple[str, str]], bytes]
FAMILIES = ("github", "gitlab", "gitea", "bitbucket")
PATHS = {f"/webhooks/{family}": family for family in FAMILIES}


def family_of(path: str) -> str | None:
    """The provider family a receiver path names (``None``: not a receiver path)."""
    return PATHS.get(path.rstrip("/"))


class Gate:
    """The checks before a delivery's body is read: method, rate limit per address, declared size."""

    def __init__(self, settings: WebhookSettings) -> None:
        self.max_body = settings.max_body_bytes
        self.limiter = RateLimiter(settings.rate_limit)

    def refuse(self, method: str, client: str, declared: str, path: str, request_id: str) -> Answer | None:
        """The answer refusing the request before its body is read, or ``None`` to go on."""
        if method != "POST":
            detail = "The method is not allowed for the requested URL."
            return problem(
                405, "method-not-allowed", "Method Not Allowed", detail, path, request_id, [("Allow", "POST")]
            )
        wait = self.limiter.allow(client)
        if wait is not None:
            detail = "too many deliveries from this address; try again later"
            return failed(TooManyRequests(detail, retry_after=wait), path, request_id)
        if declared.isdigit() and int(declared) > self.max_body:
            return self.too_large(path, request_id)
        return None

    def too_large(self, path: str, request_id: str) -> Answer:
        detail = f"deliveries are limited to {self.max_body} bytes"
        return problem(413, "request-entity-too-large", "Request Entity Too Large", detail, path, request_id)


def received(receipt: Receipt) -> Answer:
    """A stored delivery's 202 (200 for a ping): the receipt's fields, which are ``ReceiptOut``'s (the
    documented body; a test keeps them equal), dumped without building the model at a burst's rate."""
    body = json.dumps(receipt.__dict__, ensure_ascii=False).encode()
    return (200 if receipt.ping else 202), [("Content-Type", "application/json")], body


def failed(e: BaseException, path: str, request_id: str) -> Answer:
    """A ``BridgeError``'s problem (its status and headers); anything else is a bug: 500, logged."""
    if isinstance(e, BridgeError):
        if e.status >= 500:
            log.error("%s: %s", type(e).__name__, e.detail)
        return problem(e.status, e.slug, e.title, e.detail, path, request_id, error_headers(e))
    log.error("unhandled error", exc_info=e)
    return problem(500, "internal-error", "Internal error", "an unexpected error occurred", path, request_id)


def not_found(path: str) -> Answer:
    """What a receive-only process answers for anything but the receiver and ``/healthz``."""
    detail = "this process serves only /webhooks/<provider>"
    return problem(404, "not-found", "Not Found", detail, path, "")


def healthy() -> Answer:
    return 200, [("Content-Type", "application/json")], b'{"status": "ok"}'


def final_headers(answer: Answer, request_id: str, *, secure: bool) -> list[tuple[str, str]]:
    """The answer's headers with what every receiver response carries."""
    _, headers, body = answer
    out = [*headers, ("Content-Length", str(len(body)))]
    if request_id:
        out.append(("X-Request-Id", request_id))
    return out + security_headers(secure=secure)


def problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    path: str,
    request_id: str,
    extra: list[tuple[str, str]] | None = None,
) -> Answer:
    body = document(status, slug=slug, title=title, detail=detail, instance=path, request_id=request_id)
    headers = [("Content-Type", PROBLEM_JSON), *(extra or [])]
    return status, headers, json.dumps(body, ensure_ascii=False).encode()


def status_line(status: int) -> str:
    return f"{status} {HTTPStatus(status).phrase}"
