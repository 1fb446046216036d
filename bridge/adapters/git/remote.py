"""``git ls-remote`` of a repository: which commit each branch and tag points at.

A username/password (or token) credential is handed to git as an HTTP ``Authorization`` header through
``GIT_CONFIG_*`` environment variables: never in the URL, the command line or a message. No prompt,
no credential helper, no system or user configuration.
"""

from __future__ import annotations

import base64
import os
import subprocess
import tempfile
from collections.abc import Mapping

from bridge.errors import UpstreamUnavailable

TIMEOUT = 30.0


def ls_remote(
    url: str, auth: tuple[str, str] | None = None, *, timeout: float = TIMEOUT
) -> Mapping[str, str]:
    """``refs/heads/*`` and ``refs/tags/*`` → commit (annotated tags peeled). ``UpstreamUnavailable`` when
    the remote cannot be listed (unreachable, refused, bad credential)."""
    with tempfile.TemporaryDirectory(prefix="bridge-git-") as home:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_ASKPASS": "/bin/false",
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": "credential.helper",
            "GIT_CONFIG_VALUE_0": "",
        }
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            env |= {
                "GIT_CONFIG_COUNT": "2",
                "GIT_CONFIG_KEY_1": "http.extraHeader",
                "GIT_CONFIG_VALUE_1": f"Authorization: Basic {token}",
            }
        try:
            done = subprocess.run(
                ["git", "ls-remote", "--heads", "--tags", url],
                env=env,
                cwd=home,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            raise UpstreamUnavailable(f"cannot list {url}: {type(e).__name__}") from None
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["git ls-remote failed"])[-1]
        raise UpstreamUnavailable(f"cannot list {url}: {reason[:300]}")
    refs: dict[str, str] = {}
    for line in done.stdout.splitlines():
        sha, _, ref = line.partition("\t")
        if ref.endswith("^{}"):
            refs[ref[: -len("^{}")]] = sha  # the commit an annotated tag points at
        else:
            refs.setdefault(ref, sha)
    return refs
