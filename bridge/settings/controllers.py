"""Named Jenkins controllers beside the default one (``BRIDGE_CONTROLLERS``), and which clusters each serves.

The default controller is ``jenkins`` (``BRIDGE_JENKINS_*``); it serves the DevOps-enabled clusters
``BRIDGE_CLUSTERS_JENKINS`` names (``*``: every cluster no named controller serves). More controllers
are one mapping, name → controller, in the YAML file::

    controllers:
      east:
        url: https://jenkins-east.example.com/
        user: jenkins-bridge
        token: 11aa…              # an API token of that user
        clusters: [rohan, gondor]

or, as one environment variable, the same mapping as JSON (how pydantic-settings reads a complex
field from the environment)::

    BRIDGE_CONTROLLERS='{"east": {"url": "https://jenkins-east/", "user": "jenkins-bridge",
                         "token": "11aa…", "clusters": ["rohan", "gondor"]}}'

Tokens are secrets like ``BRIDGE_JENKINS_TOKEN``: never shown by ``repr`` or ``Settings.masked``,
redacted from logs. A cluster is served by at most one controller.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import SecretStr

from bridge.settings.groups import Group, Names, UrlWithPassword

PREFIX = "BRIDGE_"
DEFAULT = "default"
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class ControllerSettings(Group):
    """One named Jenkins controller: how to reach it and the clusters whose projects it holds."""

    url: UrlWithPassword
    user: str | None = None
    token: SecretStr | None = None
    timeout: float = 30.0
    retries: int = 3
    verify_tls: bool = True
    #: The DevOps-enabled clusters this controller serves (their projects' folders live here).
    clusters: Names = ()


def served_clusters(default: str) -> tuple[bool, frozenset[str]]:
    """``BRIDGE_CLUSTERS_JENKINS`` as (every other cluster?, the names it lists)."""
    names = frozenset(n.strip() for n in default.split(",") if n.strip())
    return "*" in names, names - {"*"}


def controller_for(cluster: str, controllers: Mapping[str, ControllerSettings], default: str) -> str | None:
    """The controller serving ``cluster``: the named one that lists it, else the default one when
    ``BRIDGE_CLUSTERS_JENKINS`` lists it (or is ``*``); ``None`` when no Jenkins serves it."""
    for name, c in controllers.items():
        if cluster in c.clusters:
            return name
    every, listed = served_clusters(default)
    return DEFAULT if every or cluster in listed else None


def controller_problems(controllers: Mapping[str, ControllerSettings], default: str) -> list[str]:
    found: list[str] = []
    owner: dict[str, str] = {}
    _, listed = served_clusters(default)
    for cluster in listed:
        owner[cluster] = DEFAULT
    for name, c in controllers.items():
        where = f"{PREFIX}CONTROLLERS[{name!r}]"
        if name == DEFAULT:
            found.append(f"{where}: the name 'default' is the controller of {PREFIX}JENKINS_*")
        elif not _NAME.match(name):
            found.append(f"{where}: a controller name must be a DNS-1123 label (a-z, 0-9, '-')")
        if not c.url.startswith(("http://", "https://")):
            found.append(f"{where}.url must start with http:// or https://")
        if bool(c.user) != bool(c.token and c.token.get_secret_value()):
            found.append(f"{where}.user and .token must be set together")
        if c.timeout <= 0:
            found.append(f"{where}.timeout must be greater than 0")
        if c.retries < 0:
            found.append(f"{where}.retries must be 0 or more")
        for cluster in c.clusters:
            if cluster in owner:
                found.append(
                    f"{where}: cluster {cluster!r} is already served by controller {owner[cluster]!r}; "
                    "a cluster is served by one controller"
                )
            owner.setdefault(cluster, name)
    return found
