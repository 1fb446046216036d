"""Ownership marker and desired-config hash, stored in Jenkins itself.

Every item the bridge creates carries, as the last line of its description, a marker with an HMAC of
the canonical configuration the bridge pushed (rendered with the user's description, before the
marker is added). So:

* an item without the marker is not ours: the bridge never modifies or deletes it;
* the observed description equals the desired one exactly when Jenkins still holds what we pushed,
  which one ``tree=`` query per folder can check for every job and credential in it, and a no-op pass
  writes nothing;
* for credentials the hash covers the secret values we pushed (Jenkins redacts them on read); it is
  keyed, so it reveals nothing about them.

The marker is an HTML comment, so Jenkins' "Safe HTML" markup hides it from people.
"""

from __future__ import annotations

import hashlib
import hmac
import re

_MARKER = "<!-- managed-by=jenkins-bridge hash={} -->"
_MARKER_RE = re.compile(r"(?:\n\n)?<!-- managed-by=jenkins-bridge hash=([0-9a-f]{32}) -->\s*\Z")


def config_hash(canonical: bytes, key: bytes) -> str:
    """Keyed hash of a canonical rendering (32 hex chars)."""
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()[:32]


def with_marker(description: str, digest: str) -> str:
    """The description to store in Jenkins: the user's text, then the marker line."""
    marker = _MARKER.format(digest)
    return f"{description}\n\n{marker}" if description else marker


def read_marker(description: str | None) -> tuple[str, str] | None:
    """``(user description, hash)`` when the description carries our marker, else ``None``."""
    if not description:
        return None
    match = _MARKER_RE.search(description)
    if match is None:
        return None
    return description[: match.start()], match.group(1)
