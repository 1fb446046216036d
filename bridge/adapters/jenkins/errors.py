"""Jenkins responses and transport failures → the bridge's error vocabulary.

Chosen by HTTP status or exception type only. Jenkins' own one-line reason (``X-Error``, which real
Jenkins sets on its 400 "Failure" pages) is carried in the detail for humans, truncated; response
bodies (HTML pages, possibly echoing our input) never are.
"""

from __future__ import annotations

import email.utils
import time

import requests

from bridge.errors import BridgeError, Conflict, Forbidden, NotFound, UpstreamError, UpstreamUnavailable

_RETRY_LATER = {429, 502, 503, 504}


class BadCredentials(Forbidden):
    """401: Jenkins does not accept the user and API token (wrong, or revoked since we stored it)."""


def from_response(response: requests.Response, *, what: str) -> BridgeError | None:
    """The error a response means, or ``None`` for success (2xx, and 3xx: we never follow redirects)."""
    status = response.status_code
    if status < 400:
        return None
    reason = response.headers.get("X-Error", "")[:200]
    detail = f"Jenkins answered {status} to {what}" + (f": {reason}" if reason else "")
    if status == 404:
        return NotFound(detail)
    if status == 409:
        return Conflict(detail)
    if status == 401:
        return BadCredentials(detail + " (check the Jenkins user and API token)")
    if status == 403:
        return Forbidden(detail + " (check the bridge's Jenkins user and API token)")
    if status in _RETRY_LATER:
        return UpstreamUnavailable(detail, retry_after=retry_after(response.headers.get("Retry-After")))
    return UpstreamError(detail, status=status)


def from_transport(error: requests.RequestException, *, what: str) -> UpstreamUnavailable:
    """Connection refused, reset, DNS failure, timeout: Jenkins is unavailable for now."""
    return UpstreamUnavailable(f"cannot reach Jenkins for {what}: {type(error).__name__}")


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class InputRefused(Forbidden):
    """The actor may not decide this ``input`` step (not a submitter; Jenkins's or the bridge's verdict)."""


class UnknownJenkinsUser(Forbidden):
    """Jenkins has no record of the user (``/user/ID`` is a 404): they must sign in to Jenkins once."""


class JenkinsIdentityUnavailable(UpstreamError):
    """Jenkins refuses to mint API tokens for other users (its ``adminCanGenerateNewTokens`` is off)."""
