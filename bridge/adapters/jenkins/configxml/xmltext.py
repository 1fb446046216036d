"""XML plumbing shared by the config.xml builders: element helpers, text hygiene, (de)serialisation.

Everything is built as an ``ElementTree`` and serialised by the library, so names, descriptions,
parameter defaults and Jenkinsfiles can hold ``]]>``, ``</script>``, ``&`` or quotes without changing
the document's structure. Two things XML 1.0 cannot carry are normalised *before* anything is rendered
or hashed, so a round trip is exact for what remains: line ends become ``\\n`` (an XML parser does that
anyway) and characters XML 1.0 forbids (most C0 controls, lone surrogates, U+FFFE/U+FFFF) are dropped.
Parsing goes through ``defusedxml``: Jenkins answers are not trusted with entity tricks.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import defusedxml.ElementTree as SafeET

from bridge.errors import UpstreamError

_FORBIDDEN = re.compile("[^\t\n\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str) -> str:
    """Text as it will survive an XML round trip: ``\\n`` line ends, no XML-forbidden characters."""
    return _FORBIDDEN.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    """Append a child element, with cleaned text when given."""
    child = ET.SubElement(parent, tag, attrib)
    if text is not None:
        child.text = clean(text)
    return child


def to_bytes(root: ET.Element) -> bytes:
    """Serialise a document as UTF-8 with an XML declaration (what Jenkins' createItem expects)."""
    body = ET.tostring(root, encoding="unicode")
    return ("<?xml version='1.0' encoding='UTF-8'?>\n" + body).encode("utf-8")


def parse(data: bytes | str) -> ET.Element:
    """Parse a document Jenkins sent (XML 1.0 or 1.1 declaration); bad XML is an upstream error."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    # Jenkins declares XML 1.1; expat reads 1.1 documents that stay within 1.0's character set.
    raw = re.sub(rb"^\s*<\?xml[^>]*\?>", b"", raw, count=1)
    try:
        root: ET.Element = SafeET.fromstring(raw)
    except (ET.ParseError, ValueError) as e:
        raise UpstreamError("Jenkins sent XML that cannot be parsed") from e
    return root


def text_of(parent: ET.Element, path: str, default: str = "") -> str:
    """Text of the first element at ``path`` ('' for an empty element), or ``default`` when absent."""
    node = parent.find(path)
    if node is None:
        return default
    return node.text or ""


def int_of(parent: ET.Element, path: str) -> int | None:
    """An int field where Jenkins writes -1 (or nothing) for 'unset'."""
    raw = text_of(parent, path, "").strip()
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if value >= 0 else None


def bool_of(parent: ET.Element, path: str, default: bool = False) -> bool:
    raw = text_of(parent, path, "").strip().lower()
    return default if not raw else raw == "true"
