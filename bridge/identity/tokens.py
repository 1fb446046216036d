"""API-token format and hashing.

A token is ``jbt_`` followed by 43 URL-safe characters (32 random bytes). The prefix makes leaked tokens
recognisable to secret scanners and lets the authenticators skip tokens of other kinds (Kubernetes JWTs)
without a database lookup. Only the SHA-256 of a token is stored: with 256 bits of entropy a plain hash
cannot be reversed, and unlike an HMAC it stays valid when the bridge's secret key is rotated.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from bridge.errors import InvalidRequest

TOKEN_PREFIX = "jbt_"
_TOKEN_RE = re.compile(r"jbt_[A-Za-z0-9_-]{43}")
_DURATION_RE = re.compile(r"(\d{1,6})([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def new_token() -> str:
    """A fresh token; shown once to whoever asked for it, never stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def looks_like_token(value: str) -> bool:
    """True for strings with our token shape (cheap test before any lookup)."""
    return bool(_TOKEN_RE.fullmatch(value))


def token_hash(token: str) -> str:
    """Hex SHA-256 of a token: what the store keeps and looks up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison of two secrets (compares digests so lengths leak nothing either)."""
    return hmac.compare_digest(token_hash(given).encode(), token_hash(expected).encode())


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h``, ``90m``, ``2w``, ``45s`` → timedelta; anything else is a clear 400."""
    match = _DURATION_RE.fullmatch(text.strip())
    if not match or int(match.group(1)) == 0:
        raise InvalidRequest(
            f"invalid duration {text!r}: use a positive number and one of s, m, h, d, w (e.g. 30d)"
        )
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
