"""Repository URLs normalised to one key, so ``https://Git.Example.com/org/app.git/`` and
``git@git.example.com:org/app`` name the same repository.

The key is ``host/path``: scheme, user info, default ports, a ``.git`` suffix and trailing slashes are
dropped, the host is lower-cased; the path keeps its case (Git servers differ on case in paths, and a
false match would start someone else's pipeline). A non-default port stays in the key.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

#: ``user@host:path`` (git's scp-like syntax): no scheme, a colon before the first slash.
SCP = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>(?!//).*)$")
DEFAULT_PORTS = {"http": 80, "https": 443, "ssh": 22, "git": 9418}


@lru_cache(maxsize=4096)  # a burst names the same few repositories (each delivery up to four times)
def repo_key(url: str) -> str:
    """The match key of a repository URL; ``""`` when the text is not a repository URL."""
    text = url.strip()
    if not text:
        return ""
    if "://" in text:
        try:
            parts = urlsplit(text)
            port = parts.port
        except ValueError:
            return ""
        host = (parts.hostname or "").lower()
        path = parts.path
        # a custom SSH port is the same repository as HTTPS on that host (providers announce both):
        # only an http(s) port that is not the default stays in the key
        custom = port is not None and DEFAULT_PORTS.get(parts.scheme.lower()) != port
        if custom and parts.scheme.lower() in ("http", "https"):
            host = f"{host}:{port}"
    else:
        m = SCP.match(text)
        if m is None:
            return ""
        host, path = m.group("host").lower(), m.group("path")
    path = path.strip("/")
    while path.endswith(".git"):
        path = path[: -len(".git")].rstrip("/")
    path = re.sub(r"/{2,}", "/", path)
    if not host or not path:
        return ""
    return f"{host}/{path}"
