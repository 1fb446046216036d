"""Scoped deploy credentials: per (project, cluster) a ServiceAccount bound only in the project's deploy
target namespaces, and a short-lived token in the project's folder instead of the cluster's kubeconfig.

Pure rules, no I/O: which (project, cluster) pairs get a credential and with which grants (``wanted``),
what a run of the credential job does for each pair (``plan``: grant, mint, revoke), and when a token is
rotated (``rotation_time``: a fraction of its real lifetime, moved by a jitter derived from the pair so
many credentials do not rotate in the same second, and never later than ``min_validity`` before expiry).
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

#: Labels on everything the bridge creates on a member cluster for scoped credentials; anything
#: without them is never changed or deleted.
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "jenkins-bridge"
PROJECT_LABEL = "jenkins-bridge.io/project"
_SLUG = re.compile(r"[^a-z0-9.-]+")


class Refused(Exception):
    """A member cluster refused (or could not be asked); the message is for a person to act on: it
    names the verb and the resource, never a credential."""


class CredentialPolicy(enum.StrEnum):
    #: the cluster's own kubeconfig in every entitled folder
    FULL = "full"
    #: a ServiceAccount per project, bound in its target namespaces only, with a short-lived token
    SCOPED = "scoped"


@dataclass(frozen=True, order=True)
class Grant:
    """A RoleBinding of the project's ServiceAccount to ``cluster_role`` in ``namespace``."""

    namespace: str
    cluster_role: str


def labels(project: str) -> dict[str, str]:
    return {MANAGED_BY_LABEL: MANAGED_BY_VALUE, PROJECT_LABEL: project}


def is_ours(found: Mapping[str, str] | None, project: str) -> bool:
    """Whether an object's labels say the bridge made it for ``project``."""
    found = found or {}
    return found.get(MANAGED_BY_LABEL) == MANAGED_BY_VALUE and found.get(PROJECT_LABEL) == project


def account_name(project: str) -> str:
    """The project's ServiceAccount (project names are DNS-1123 labels already)."""
    return project


def binding_name(project: str, cluster_role: str) -> str:
    """The RoleBinding's name: readable, and distinct per role even when the role needs escaping."""
    slug = _SLUG.sub("-", cluster_role.lower()).strip("-.")
    if slug != cluster_role:
        slug = f"{slug}-{hashlib.sha256(cluster_role.encode()).hexdigest()[:8]}"
    return f"jenkins-bridge-{project}-{slug}"[:253]


@dataclass(frozen=True)
class ScopedState:
    """What the store holds for one (project, cluster); never the token itself."""

    project: str
    cluster: str
    #: The grants in place on the cluster (what was applied, not what is wanted).
    grants: frozenset[Grant] = frozenset()
    issued_at: datetime | None = None
    expires_at: datetime | None = None
    rotate_at: datetime | None = None
    #: When the folder's token was last replaced by a fresh one (None: only one was ever minted).
    rotated_at: datetime | None = None
    #: What went wrong last, for a person to act on (names the verb and the resource).
    error: str | None = None
    error_at: datetime | None = None
    #: Whether a kubeconfig with a token is stored.
    has_token: bool = False

    @property
    def namespaces(self) -> list[str]:
        return sorted({g.namespace for g in self.grants})


@dataclass(frozen=True)
class Minted:
    """A token a cluster issued, as the kubeconfig for the folder (a secret: never logged)."""

    kubeconfig: str = field(repr=False)
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class TargetRow:
    """One declared deploy target, as the credential job reads it."""

    project: str
    workspace: str
    cluster: str
    namespace: str
    #: None: the settings' default ClusterRole.
    cluster_role: str | None = None


def wanted(
    targets: Iterable[TargetRow],
    entitled: Mapping[str, Collection[str]],
    is_scoped: Mapping[str, bool],
    default_role: str,
) -> dict[tuple[str, str], frozenset[Grant]]:
    """(project, cluster) → the grants its credential needs: the project's targets on a scoped cluster
    its workspace is entitled to (``entitled``: workspace → clusters)."""
    found: dict[tuple[str, str], set[Grant]] = {}
    for t in targets:
        if not is_scoped.get(t.cluster, False) or t.cluster not in entitled.get(t.workspace, ()):
            continue
        found.setdefault((t.project, t.cluster), set()).add(
            Grant(t.namespace, t.cluster_role or default_role)
        )
    return {key: frozenset(grants) for key, grants in found.items()}


@dataclass(frozen=True)
class Rotation:
    #: fraction of the real lifetime after which a token is replaced
    fraction: float
    #: ± fraction of the lifetime the rotation moves, per credential
    jitter: float
    #: seconds a token keeps at least after its rotation
    min_validity: float


def rotation_time(
    project: str, cluster: str, issued: datetime, expires: datetime, rotation: Rotation
) -> datetime:
    """When to replace a token issued at ``issued`` that expires at ``expires``."""
    lifetime = max(0.0, (expires - issued).total_seconds())
    digest = hashlib.sha256(f"{project}\0{cluster}\0{issued.isoformat()}".encode()).digest()
    spread = int.from_bytes(digest[:8], "big") / 2**64 * 2 - 1  # uniform in [-1, 1)
    seconds = rotation.fraction * lifetime + spread * rotation.jitter * lifetime
    seconds = max(0.0, min(seconds, lifetime - rotation.min_validity))
    return issued + timedelta(seconds=seconds)


@dataclass(frozen=True)
class Work:
    """What one run does for one (project, cluster) it keeps."""

    project: str
    cluster: str
    grants: frozenset[Grant]
    #: the grants to remove (in place, no longer wanted)
    stale: frozenset[Grant] = frozenset()
    #: make sure the ServiceAccount and every wanted RoleBinding exist
    ensure: bool = False
    #: request a new token (none yet, or its rotation time has come)
    mint: bool = False


@dataclass(frozen=True)
class ScopedPlan:
    work: list[Work] = field(default_factory=list)
    #: (project, cluster) whose credential goes: RoleBindings, ServiceAccount, stored token
    revoke: list[ScopedState] = field(default_factory=list)


def plan(
    want: Mapping[tuple[str, str], frozenset[Grant]],
    states: Mapping[tuple[str, str], ScopedState],
    now: datetime,
    *,
    retry_after: timedelta,
) -> ScopedPlan:
    """Work for each wanted pair that needs any (a change of grants, a token due, an error to retry),
    and a revocation for each stored pair no longer wanted."""
    result = ScopedPlan()
    for key, grants in sorted(want.items()):
        state = states.get(key)
        retry = state is not None and state.error is not None
        if retry and state is not None and state.error_at is not None and now - state.error_at < retry_after:
            continue
        due = state is None or not state.has_token or state.rotate_at is None or now >= state.rotate_at
        changed = state is None or state.grants != grants
        if not (due or changed or retry):
            continue
        stale = frozenset(state.grants - grants) if state is not None else frozenset()
        result.work.append(
            Work(key[0], key[1], grants, stale=stale, ensure=changed or due or retry, mint=due)
        )
    for key, state in sorted(states.items()):
        if key in want:
            continue
        if state.error_at is not None and now - state.error_at < retry_after:
            continue  # a revocation that failed is tried again after ``retry_after``
        result.revoke.append(state)
    return result
