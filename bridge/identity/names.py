"""Validation of user and group names (they arrive from CLI flags, API bodies and proxy headers)."""

from __future__ import annotations

import re

from bridge.errors import InvalidRequest

# Kubernetes user names look like system:serviceaccount:ns:sa; LDAP/OIDC ones may hold @, dots, spaces.
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9@._:+=\- ]{0,252}")


def is_valid_subject(name: str) -> bool:
    return bool(_NAME_RE.fullmatch(name)) and not name.endswith(" ")


def check_subject(name: str, *, what: str = "user") -> str:
    """The name itself, or a 400 saying what is wrong with it."""
    if not is_valid_subject(name):
        raise InvalidRequest(
            f"invalid {what} name {name[:80]!r}: 1-253 characters, starting with a letter or digit, "
            "then letters, digits, spaces and @ . _ : + = -"
        )
    return name


def check_groups(groups: list[str] | tuple[str, ...] | frozenset[str]) -> frozenset[str]:
    return frozenset(check_subject(g, what="group") for g in groups)
