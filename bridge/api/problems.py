"""Every API error as ``application/problem+json`` (RFC 9457), from one table of handlers.

Views raise ``BridgeError``s; werkzeug raises ``HTTPException``s (404 unknown route, 405, 413, 415);
pydantic raises ``ValidationError`` for malformed bodies (400 with per-field ``errors``). Anything else
is a bug: logged with its traceback, answered with a generic 500 that reveals nothing.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from flask import Flask, Response, g, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from bridge.errors import BridgeError, InvalidRequest, TooManyRequests, Unauthenticated, UpstreamUnavailable

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:jenkins-bridge:problem:"
#: Seconds a client is told to wait after a 503 when the upstream gave no ``Retry-After`` of its own.
DEFAULT_RETRY_AFTER = 5


def problem(
    status: int, *, slug: str, title: str, detail: str, errors: list[dict[str, str]] | None = None
) -> Response:
    body = document(
        status,
        slug=slug,
        title=title,
        detail=detail,
        instance=request.path,
        request_id=getattr(g, "request_id", None),
        errors=errors,
    )
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)


def document(
    status: int,
    *,
    slug: str,
    title: str,
    detail: str,
    instance: str,
    request_id: str | None,
    errors: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The problem document itself (also answered outside Flask: ``bridge.api.receiver``)."""
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "request_id": request_id,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def error_headers(e: BridgeError) -> list[tuple[str, str]]:
    """The headers an error's answer carries besides its problem document (also outside Flask)."""
    if isinstance(e, Unauthenticated):
        return [("WWW-Authenticate", 'Bearer realm="jenkins-bridge"')]
    if isinstance(e, UpstreamUnavailable):  # tell clients when to retry (RFC 9110 §10.2.3)
        wait = DEFAULT_RETRY_AFTER if e.retry_after is None else max(1, math.ceil(e.retry_after))
        return [("Retry-After", str(wait))]
    if isinstance(e, TooManyRequests):
        return [("Retry-After", str(max(1, math.ceil(e.retry_after))))]
    return []


def field_errors(e: ValidationError) -> list[dict[str, str]]:
    """Pydantic errors without the offending input (it may be a secret)."""
    out = []
    for err in e.errors(include_url=False, include_input=False, include_context=False):
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
        out.append({"field": where or "body", "message": err["msg"]})
    return out


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(BridgeError)
    def _bridge(e: BridgeError) -> Response:
        if e.status >= 500:
            log.error("%s: %s", type(e).__name__, e.detail)
        errors = e.extra.get("errors") if isinstance(e, InvalidRequest) else None
        response = problem(
            e.status,
            slug=e.slug,
            title=e.title,
            detail=e.detail,
            errors=errors if isinstance(errors, list) else None,
        )
        for name, value in error_headers(e):
            response.headers[name] = value
        return response

    @app.errorhandler(ValidationError)
    def _validation(e: ValidationError) -> Response:
        errors = field_errors(e)
        summary = "; ".join(f"{x['field']}: {x['message']}" for x in errors[:5])
        return problem(400, slug="invalid-request", title="Invalid request", detail=summary, errors=errors)

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException) -> Response:
        status = e.code or 500
        slug = (e.name or "error").lower().replace(" ", "-")
        response = problem(status, slug=slug, title=e.name or "Error", detail=e.description or "")
        if status == 405 and e.get_response().headers.get("Allow"):
            response.headers["Allow"] = e.get_response().headers["Allow"]
        return response

    @app.errorhandler(Exception)
    def _unexpected(e: Exception) -> Response:
        log.exception("unhandled error")
        return problem(
            500, slug="internal-error", title="Internal error", detail="an unexpected error occurred"
        )
