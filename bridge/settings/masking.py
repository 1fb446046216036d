"""Passwords inside URL settings: found (for log redaction) and masked (for display)."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

MASK = "***"


def url_passwords(url: str) -> list[str]:
    """The password in ``url``'s userinfo, as written and decoded (empty list when there is none)."""
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return []
    userinfo, at, _ = netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return []
    raw = userinfo.split(":", 1)[1]
    return [v for v in dict.fromkeys([raw, unquote(raw)]) if v]


def mask_url_password(url: str) -> str:
    """``url`` with the password of its userinfo replaced by ``***`` (user, host and path kept).

    Database URLs go through SQLAlchemy's own renderer (``hide_password``); anything it cannot parse,
    and HTTP URLs, are masked by splitting the userinfo off the network location.
    """
    if not url_passwords(url):
        return url
    if not url.startswith(("http://", "https://")):
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            return make_url(url).render_as_string(hide_password=True)
        except (ArgumentError, ValueError):
            pass
    parts = urlsplit(url)
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return parts._replace(netloc=f"{user}:{MASK}@{host}").geturl()
