"""The result of rendering one desired object for Jenkins."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

from bridge.adapters.jenkins.configxml.marker import config_hash, with_marker
from bridge.adapters.jenkins.configxml.xmltext import clean, to_bytes


@dataclass(frozen=True)
class Rendered:
    """A config document ready to POST, and the description Jenkins will then report for it.

    ``description`` (user text + marker) is what observation compares against; ``xml`` may hold
    secrets (credentials, password parameter defaults), so it is excluded from ``repr``.
    """

    xml: bytes = field(repr=False)
    description: str
    digest: str


def render(
    build: Callable[[str], ET.Element], *, description: str, key: bytes, description_path: str = "description"
) -> Rendered:
    """Build once with the user's description to hash, then set the marked description and serialise."""
    user_description = clean(description)
    root = build(user_description)
    digest = config_hash(to_bytes(root), key)
    marked = with_marker(user_description, digest)
    node = root.find(description_path)
    if node is None:  # every builder writes a description element
        raise AssertionError("rendered document has no description element")
    node.text = marked
    return Rendered(xml=to_bytes(root), description=marked, digest=digest)
