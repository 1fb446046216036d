"""The bridge's error vocabulary.

Adapters translate library exceptions into these (chosen by HTTP status or errno, never by message
text); the API maps each to one ``application/problem+json`` response; reconcilers decide whether to
retry from the type alone (``retryable``).
"""

from __future__ import annotations


class BridgeError(Exception):
    """Base of every error the bridge raises on purpose."""

    status: int = 500
    slug: str = "internal-error"
    title: str = "Internal error"
    retryable: bool = False

    def __init__(self, detail: str = "", **extra: object) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class InvalidRequest(BridgeError):
    status = 400
    slug = "invalid-request"
    title = "Invalid request"


class Unauthenticated(BridgeError):
    status = 401
    slug = "unauthenticated"
    title = "Authentication required"


class Forbidden(BridgeError):
    status = 403
    slug = "forbidden"
    title = "Forbidden"


class NotFound(BridgeError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(BridgeError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class PreconditionFailed(BridgeError):
    """A conditional request's precondition (``If-Match``) is false: the client's copy is stale."""

    status = 412
    slug = "precondition-failed"
    title = "Precondition failed"


class TooManyRequests(BridgeError):
    """A client sent more than its share (unauthenticated push deliveries); ``retry_after`` seconds."""

    status = 429
    slug = "too-many-requests"
    title = "Too many requests"

    def __init__(self, detail: str = "", *, retry_after: float = 60.0, **extra: object) -> None:
        super().__init__(detail, **extra)
        self.retry_after = retry_after


class UpstreamUnavailable(BridgeError):
    """An upstream (Jenkins, Kubernetes) cannot be reached or asks us to come back later."""

    status = 503
    slug = "upstream-unavailable"
    title = "Upstream unavailable"
    retryable = True

    def __init__(self, detail: str = "", *, retry_after: float | None = None, **extra: object) -> None:
        super().__init__(detail, **extra)
        self.retry_after = retry_after


class UpstreamError(BridgeError):
    """An upstream answered, but not in a way we can use (unexpected status or body)."""

    status = 502
    slug = "upstream-error"
    title = "Upstream error"


class ConfigurationError(BridgeError):
    """Settings are invalid; raised once at start with a message an operator can act on."""

    slug = "configuration-error"
    title = "Configuration error"
