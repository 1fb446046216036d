"""Which SCM URLs a pipeline may clone from, and how a stored one is shown.

Allowed: ``https://`` and ``ssh://`` URLs and the scp form ``user@host:path`` that git reads as ssh;
plain ``http://`` only when the operator allows it (``BRIDGE_JENKINS_ALLOW_HTTP_SCM``). Refused:
``file://`` (reads the controller's or agent's disk), ``git://`` (unauthenticated, unencrypted), git's
``<transport>::<address>`` remote helpers (``ext::`` runs commands), anything starting with ``-``
(read as an option by git), whitespace and control characters, and a URL that carries a secret:
a password in the userinfo, or any userinfo of an ``https://`` URL (tokens are sent as user names).
A secret belongs in a credential named by ``scm.credential``: stored encrypted, never shown, redacted.

Rows stored before these rules may still hold such a URL; ``shown_url`` masks the secret part for
every response.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MASK = "***"
#: ``user@host:path``: git's scp-like syntax (no scheme, a colon before any slash).
_SCP = re.compile(r"(?P<user>[A-Za-z0-9._-]+)@(?P<host>[A-Za-z0-9.-]+):(?P<path>[^:\s][^\s]*)")
_SCHEME = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>.*)", re.DOTALL)
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f]")
SECRET_HINT = "store the secret as a credential of the project and name it in scm.credential"


def scm_url_problems(url: str, *, allow_http: bool = False) -> list[str]:
    """What is wrong with ``url`` as a pipeline's SCM URL (empty when it is allowed)."""
    allowed = "https://, ssh:// or user@host:path" + (" (or http://)" if allow_http else "")
    if url.startswith("-"):
        return ["must not start with '-' (git would read it as an option)"]
    if _UNSAFE.search(url):
        return ["must not contain spaces or control characters"]
    if "::" in url.split("/", 1)[0]:
        return [f"must be an {allowed} URL; git remote helpers (<transport>::<address>) are refused"]
    scheme_match = _SCHEME.fullmatch(url)
    if scheme_match is None:
        if _SCP.fullmatch(url) is None:
            return [f"must be an {allowed} URL"]
        return []
    scheme = scheme_match.group("scheme").lower()
    if scheme == "http" and not allow_http:
        return ["plain http:// is refused (credentials and code would travel unencrypted); use https://"]
    if scheme not in ("https", "ssh", "http"):
        return [f"{scheme}:// is refused: must be an {allowed} URL"]
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return ["is not a valid URL"]
    if not parts.hostname:
        return ["must name a host"]
    userinfo, at, _ = parts.netloc.rpartition("@")
    if at and ":" in userinfo:
        return [f"must not carry a password; {SECRET_HINT}"]
    if at and scheme in ("https", "http"):
        return [f"must not carry a user name or token; {SECRET_HINT}"]
    return []


def shown_url(url: str) -> str:
    """``url`` as responses show it: a password (any userinfo of an http(s) URL) replaced by ``***``."""
    match = _SCHEME.fullmatch(url)
    if match is None:
        return url  # scp form: a user name, no password syntax
    scheme, rest = match.group("scheme"), match.group("rest")
    authority, slash, path = rest.partition("/")
    userinfo, at, host = authority.rpartition("@")
    if not at:
        return url
    if scheme.lower() in ("http", "https"):
        shown_userinfo = MASK
    elif ":" in userinfo:
        shown_userinfo = userinfo.split(":", 1)[0] + ":" + MASK
    else:
        return url
    return f"{scheme}://{shown_userinfo}@{host}{slash}{path}"
