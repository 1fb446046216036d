"""Rules for names and free text shared by every service (and so by the API and ``apply -f``).

Names become Jenkins item names and may become Kubernetes object names, so they must satisfy both:
DNS-1123 labels (lower-case alphanumerics and ``-``) are a strict subset of what Jenkins accepts
(Jenkins refuses ``. ..`` and ``?*/\\%!@#$^&|<>[]:;``), so checking DNS-1123 covers Jenkins too.
Problems are collected per field and raised together as one ``InvalidRequest``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bridge.errors import InvalidRequest

DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
JENKINS_FORBIDDEN = set("?*/\\%!@#$^&|<>[]:;")
MAX_DESCRIPTION = 4096


@dataclass
class Problems:
    """Accumulates ``{field, message}`` pairs; ``raise_if_any`` turns them into a 400."""

    items: list[dict[str, str]] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        self.items.append({"field": where, "message": message})

    def raise_if_any(self, what: str) -> None:
        if self.items:
            summary = "; ".join(f"{p['field']}: {p['message']}" for p in self.items)
            raise InvalidRequest(f"invalid {what}: {summary}", errors=list(self.items))


def check_label(problems: Problems, where: str, value: str) -> None:
    """A DNS-1123 label (at most 63 characters), which is also a valid Jenkins item name."""
    if not value:
        problems.add(where, "must not be empty")
    elif len(value) > 63:
        problems.add(where, "must be at most 63 characters")
    elif not DNS1123_LABEL.fullmatch(value):
        problems.add(
            where,
            "must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending alphanumeric",
        )


def check_subdomain(problems: Problems, where: str, value: str) -> None:
    """A DNS-1123 subdomain (dots allowed between labels), at most 253 characters."""
    if not value:
        problems.add(where, "must not be empty")
    elif len(value) > 253:
        problems.add(where, "must be at most 253 characters")
    elif not DNS1123_SUBDOMAIN.fullmatch(value) or set(value) & JENKINS_FORBIDDEN:
        problems.add(
            where, "must be lower-case letters, digits, '-' and '.', starting and ending alphanumeric"
        )


def check_text(problems: Problems, where: str, value: str, *, limit: int = MAX_DESCRIPTION) -> None:
    if len(value) > limit:
        problems.add(where, f"must be at most {limit} characters")
    if "\x00" in value:
        problems.add(where, "must not contain NUL characters")
