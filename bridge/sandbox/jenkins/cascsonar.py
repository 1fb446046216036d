"""JCasC ``unclassified.sonarGlobalConfiguration``: the sonar plugin's SonarQube installations.

``installations[]`` keys as ``SonarInstallation``'s data-bound constructor has them; the sandbox uses
``name``, ``serverUrl`` and ``credentialsId`` (a Secret text credential: the token) and accepts the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bridge.sandbox.jenkins.pipeline.context import CredentialValue, SonarServer

INSTALLATION_KEYS = {
    "name",
    "serverUrl",
    "credentialsId",
    "webhookSecretId",
    "mojoVersion",
    "additionalProperties",
    "additionalAnalysisProperties",
    "triggers",
}


class _Reader(Protocol):
    def _mapping(self, node: Any, path: str) -> dict[str, Any]: ...

    def _check_keys(self, node: dict[str, Any], path: str, known: set[str]) -> None: ...


@dataclass(frozen=True)
class SonarInstallation:
    name: str
    server_url: str = "http://localhost:9000"  # the plugin's default
    credentials_id: str | None = None


def read(reader: _Reader, node: Any) -> tuple[SonarInstallation, ...]:
    base = "unclassified.sonarGlobalConfiguration"
    config = reader._mapping(node, base)
    reader._check_keys(config, base, {"buildWrapperEnabled", "installations"})
    out = []
    for entry in config.get("installations") or ():
        item = reader._mapping(entry, base + ".installations")
        reader._check_keys(item, base + ".installations", INSTALLATION_KEYS)
        out.append(
            SonarInstallation(
                name=str(item.get("name", "")),
                server_url=str(item.get("serverUrl") or "http://localhost:9000"),
                credentials_id=str(item["credentialsId"]) if item.get("credentialsId") else None,
            )
        )
    return tuple(out)


def lookup(
    installations: tuple[SonarInstallation, ...],
    resolve: Callable[[str], CredentialValue | None],
    name: str,
) -> SonarServer | None:
    """``SonarInstallation.get``: by name, or the first one when no name is given; the token is the
    installation's Secret text credential (none: no token)."""
    found = [i for i in installations if not name or i.name == name][:1]
    if not found:
        return None
    secret = resolve(found[0].credentials_id) if found[0].credentials_id else None
    token = secret.secret if secret is not None and secret.kind == "string" else ""
    return SonarServer(found[0].name, found[0].server_url, token)
