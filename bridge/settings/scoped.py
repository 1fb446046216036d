"""The ``scoped`` settings group (``BRIDGE_SCOPED_*``): which clusters' deploy credentials are scoped,
short-lived ServiceAccount tokens instead of the cluster's own kubeconfig, and how they are rotated.

Kept apart from ``bridge.settings.groups`` only for size; ``Settings.scoped`` is this group and
``Settings._validate`` reports ``scoped_problems`` with every other problem. See
docs/security.md "Scoped deploy credentials" for the trade-offs.
"""

from __future__ import annotations

import re
from typing import Literal

from bridge.settings.groups import Group

PREFIX = "BRIDGE_SCOPED_"
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
#: The apiserver refuses a TokenRequest for less (``MinTokenAgeSec``, not configurable).
MIN_TOKEN_SECONDS = 600

CredentialPolicyName = Literal["full", "scoped"]


class ScopedSettings(Group):
    """Per cluster a credential policy: ``full`` puts the cluster's kubeconfig into every entitled
    folder; ``scoped`` gives each project a ServiceAccount bound only in its deploy target namespaces,
    with a token that expires on its own."""

    #: The policy of every cluster not named in ``clusters``: ``full`` or ``scoped`` (recommended).
    policy: CredentialPolicyName = "full"
    #: Comma-separated ``cluster=full|scoped`` entries overriding ``policy`` per cluster.
    clusters: str = ""
    #: Namespace of the projects' ServiceAccounts on each scoped cluster (created, labelled, when missing).
    namespace: str = "jenkins-bridge-deployers"
    #: ClusterRole bound in a target namespace when the target names none.
    cluster_role: str = "edit"
    #: Comma-separated audiences of the tokens; empty: the apiserver's own (``--api-audiences``).
    audiences: str = ""
    #: Seconds a token is requested for (at least 600); the apiserver may shorten it to its maximum
    #: (``--service-account-max-token-expiration``): the real expiry is what it answers.
    token_lifetime: float = 3600.0
    #: Rotate when this fraction of the token's real lifetime has passed.
    rotate_at: float = 0.5
    #: Each credential's rotation moves by up to ± this fraction of the lifetime (spread, not a burst).
    jitter: float = 0.1
    #: Seconds a token stays valid at least after its successor was written to the folder: the
    #: guaranteed deploy time of a run that read the credential just before a rotation.
    min_validity: float = 1200.0
    #: Seconds before a (project, cluster) whose grant failed is tried again.
    retry_interval: float = 30.0

    def overrides(self) -> dict[str, str]:
        return parse_policies(self.clusters)

    def policy_of(self, cluster: str) -> str:
        return self.overrides().get(cluster, self.policy)

    def audience_list(self) -> tuple[str, ...]:
        return tuple(a.strip() for a in self.audiences.split(",") if a.strip())


def parse_policies(text: str) -> dict[str, str]:
    """``rohan=scoped,gondor=full`` → {cluster: policy}; ``ValueError`` says what is wrong."""
    found: dict[str, str] = {}
    for raw in (part.strip() for part in text.split(",")):
        if not raw:
            continue
        name, eq, policy = (s.strip() for s in raw.partition("="))
        if not eq or not _LABEL.match(name):
            raise ValueError(f"entry {raw!r} must be cluster=full or cluster=scoped")
        if policy not in ("full", "scoped"):
            raise ValueError(f"entry {raw!r}: the policy must be full or scoped")
        if name in found:
            raise ValueError(f"cluster {name!r} is listed twice")
        found[name] = policy
    return found


def scoped_problems(s: ScopedSettings) -> list[str]:
    problems: list[str] = []
    try:
        parse_policies(s.clusters)
    except ValueError as e:
        problems.append(f"{PREFIX}CLUSTERS: {e}")
    if not _LABEL.match(s.namespace):
        problems.append(f"{PREFIX}NAMESPACE must be a DNS-1123 label (a-z, 0-9, '-', at most 63)")
    if not s.cluster_role.strip():
        problems.append(f"{PREFIX}CLUSTER_ROLE must name a ClusterRole")
    if s.token_lifetime < MIN_TOKEN_SECONDS:
        problems.append(
            f"{PREFIX}TOKEN_LIFETIME must be at least {MIN_TOKEN_SECONDS} (the apiserver's minimum)"
        )
    if not 0 < s.rotate_at < 1:
        problems.append(f"{PREFIX}ROTATE_AT must be between 0 and 1 (a fraction of the lifetime)")
    if not 0 <= s.jitter < 0.5:
        problems.append(f"{PREFIX}JITTER must be at least 0 and below 0.5")
    for name, value in (("MIN_VALIDITY", s.min_validity), ("RETRY_INTERVAL", s.retry_interval)):
        if value <= 0:
            problems.append(f"{PREFIX}{name} must be greater than 0")
    latest = s.token_lifetime * (1 - s.rotate_at - s.jitter)
    if not problems and latest < s.min_validity:
        problems.append(
            f"{PREFIX}MIN_VALIDITY ({s.min_validity:g}s) is more than a token keeps after its latest "
            f"rotation ({latest:g}s = TOKEN_LIFETIME x (1 - ROTATE_AT - JITTER)); lower ROTATE_AT or "
            "JITTER, or raise TOKEN_LIFETIME"
        )
    return problems
