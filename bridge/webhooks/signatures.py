"""Signature checks, constant-time (``hmac.compare_digest``) on equal-type values."""

from __future__ import annotations

import hmac

from bridge.webhooks.events import Scheme, Signature


def hmac_sha256(secret: str, body: bytes) -> str:
    return hmac.digest(secret.encode(), body, "sha256").hex()  # OpenSSL's one-shot HMAC


def verifies(signature: Signature, secret: str) -> bool:
    """Whether ``signature`` proves knowledge of ``secret``; an empty secret or digest never does."""
    if not secret or not signature.value:
        return False
    if signature.scheme is Scheme.HMAC_SHA256:
        expected = hmac_sha256(secret, signature.signed)
        return hmac.compare_digest(expected.encode(), signature.value.strip().lower().encode())
    if signature.scheme is Scheme.TOKEN:
        return hmac.compare_digest(secret.encode(), signature.value.encode())
    return False
