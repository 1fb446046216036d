"""What the provider readers share: header lookup, body decoding, small field helpers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from bridge.webhooks.events import RefKind

HEADS, TAGS = "refs/heads/", "refs/tags/"


class BadDelivery(ValueError):
    """The request is not a delivery this endpoint understands (400)."""


class Headers:
    """Case-insensitive, whitespace-trimmed header lookup."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._h = {k.lower(): v for k, v in headers.items()}

    def get(self, name: str) -> str:
        return (self._h.get(name.lower()) or "").strip()

    def has(self, name: str) -> bool:
        return name.lower() in self._h


def event(headers: Headers, name: str, provider: str) -> str:
    """The event header every delivery of the provider carries; without it the request is not one."""
    value = headers.get(name)
    if not value:
        raise BadDelivery(f"no {name} header: not a {provider} delivery")
    return value


def payload(headers: Headers, body: bytes) -> tuple[dict[str, Any], bytes]:
    """The JSON document and the bytes it was read from (the form's ``payload`` field, or the body)."""
    ctype = headers.get("Content-Type").split(";")[0].strip().lower()
    raw = body
    if ctype == "application/x-www-form-urlencoded":
        try:
            fields = parse_qs(body.decode("utf-8"), strict_parsing=False, max_num_fields=16)
        except (UnicodeDecodeError, ValueError) as e:
            raise BadDelivery("the form body cannot be read") from e
        values = fields.get("payload")
        if not values:
            raise BadDelivery("the form body has no 'payload' field")
        raw = values[0].encode("utf-8")
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as e:
        raise BadDelivery("the payload is not JSON") from e
    if not isinstance(doc, dict):
        raise BadDelivery("the payload is not a JSON object")
    return doc, raw


def obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def split_ref(ref: str) -> tuple[RefKind, str] | None:
    """``refs/heads/x`` → (branch, x); ``refs/tags/v`` → (tag, v); anything else → None."""
    if ref.startswith(HEADS):
        return RefKind.BRANCH, ref[len(HEADS) :]
    if ref.startswith(TAGS):
        return RefKind.TAG, ref[len(TAGS) :]
    return None


def urls(*candidates: Any) -> tuple[str, ...]:
    seen: list[str] = []
    for c in candidates:
        if isinstance(c, str) and c and c not in seen:
            seen.append(c)
    return tuple(seen)
