"""Item-name rules of ``Jenkins.checkGoodName`` (with the messages of core's Messages.properties)."""

from __future__ import annotations

import unicodedata

from bridge.sandbox.jenkins.errors import Failure

UNSAFE = set("?*/\\%!@#$^&|<>[]:;")
LSQUO, RSQUO = "\u2018", "\u2019"  # Jenkins' messages quote with typographic single quotes


def quoted(text: str) -> str:
    return f"{LSQUO}{text}{RSQUO}"


def check_good_name(name: str | None) -> str:
    """Validate like Jenkins and return the trimmed name (what ``createItem`` stores)."""
    if not name:
        raise Failure("No name is specified")
    trimmed = name.strip()
    if not trimmed:
        raise Failure("No name is specified")
    if trimmed in (".", ".."):
        raise Failure(f"“{trimmed}” is not an allowed name")
    for ch in name:
        if _is_iso_control(ch):
            printable = "".join(f"\\u{ord(c)};" if _is_iso_control(c) else c for c in name)
            raise Failure(f"No control code is allowed: {printable}")
        if ch in UNSAFE:
            raise Failure(f"{quoted(ch)} is an unsafe character")
    if trimmed.endswith("."):
        raise Failure(f"A name cannot end with {quoted('.')}")
    return trimmed


def _is_iso_control(ch: str) -> bool:
    """``Character.isISOControl``: U+0000..U+001F and U+007F..U+009F."""
    return unicodedata.category(ch) == "Cc"
