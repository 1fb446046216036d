"""Deploy targets: where a pipeline deploys (a cluster and a namespace), and their preflight.

Pure rules, no I/O. A pipeline declares its targets; a target may only name a cluster its project's
workspace may use (``allowed``), and the bridge checks through that cluster's kubeconfig that the
namespace exists (deploys fail otherwise), creating it when the target asks for it. ``decide`` turns
what was observed into the target's state; ``PreflightState`` is what the API shows.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

#: Label put on every namespace the bridge creates for a target (value: ``"true"``).
CREATED_BY_LABEL = "jenkins-bridge.io/created-by"
CREATED_BY_VALUE = "jenkins-bridge"
#: Annotation naming the pipeline that asked for the namespace (``project/pipeline``).
REQUESTED_FOR_ANNOTATION = "jenkins-bridge.io/requested-for"


@dataclass(frozen=True)
class DeployTarget:
    """A cluster and a namespace a pipeline deploys to; ``create_namespace`` lets the bridge create
    the namespace when it is missing."""

    cluster: str
    namespace: str
    create_namespace: bool = False
    #: The ClusterRole a scoped credential binds in the namespace (None: ``BRIDGE_SCOPED_CLUSTER_ROLE``).
    cluster_role: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.cluster, self.namespace)


class PreflightStatus(enum.StrEnum):
    #: declared or changed, not checked yet
    PENDING = "pending"
    #: the namespace exists (or the bridge created it)
    OK = "ok"
    #: the namespace does not exist (or is being deleted) and the target does not ask to create it
    MISSING = "missing"
    #: the cluster's kubeconfig may not read (or create) the namespace
    FORBIDDEN = "forbidden"
    #: the cluster could not be asked: not in the inventory, no usable kubeconfig, or no answer
    UNREACHABLE = "unreachable"
    #: the cluster is not (or no longer) one the project's workspace may use
    NOT_ALLOWED = "not_allowed"


class Observed(enum.StrEnum):
    """What the cluster said about a namespace."""

    EXISTS = "exists"
    MISSING = "missing"
    TERMINATING = "terminating"
    FORBIDDEN = "forbidden"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class NamespaceAnswer:
    observed: Observed
    #: Short, credential-free reason (None when the namespace exists).
    error: str | None = None


@dataclass(frozen=True)
class PreflightState:
    """A declared target of ``project``/``pipeline`` with its last preflight result."""

    project: str
    pipeline: str
    target: DeployTarget
    status: PreflightStatus = PreflightStatus.PENDING
    checked_at: datetime | None = None
    error: str | None = None
    #: Whether the bridge created the namespace (then it carries ``CREATED_BY_LABEL``).
    namespace_created: bool = False
    #: Bumped by every change that asks for a new check; a result is kept only for the revision it saw.
    revision: int = 0


class Step(enum.StrEnum):
    """What the preflight does next for one target."""

    RECORD = "record"  # the state is final: store it
    CREATE = "create"  # create the missing namespace, then record


def before_observing(
    target: DeployTarget, allowed: Collection[str], usable: bool
) -> tuple[PreflightStatus, str] | None:
    """The status (and reason) of a target its cluster need not or cannot be asked about, else None."""
    if target.cluster not in allowed:
        return PreflightStatus.NOT_ALLOWED, not_allowed_message(target.cluster, allowed)
    if not usable:
        reason = f"cluster {target.cluster!r} is not in the inventory or has no usable kubeconfig"
        return PreflightStatus.UNREACHABLE, reason
    return None


def decide(target: DeployTarget, answer: NamespaceAnswer) -> tuple[Step, PreflightStatus, str | None]:
    """From what the cluster said: create the namespace, or the status to record (with its reason)."""
    if answer.observed is Observed.EXISTS:
        return Step.RECORD, PreflightStatus.OK, None
    if answer.observed is Observed.MISSING:
        if target.create_namespace:
            return Step.CREATE, PreflightStatus.PENDING, None
        return Step.RECORD, PreflightStatus.MISSING, missing_message(target)
    if answer.observed is Observed.TERMINATING:
        return Step.RECORD, PreflightStatus.MISSING, f"namespace {target.namespace!r} is being deleted"
    if answer.observed is Observed.FORBIDDEN:
        return Step.RECORD, PreflightStatus.FORBIDDEN, answer.error
    return Step.RECORD, PreflightStatus.UNREACHABLE, answer.error


def after_creating(answer: NamespaceAnswer) -> tuple[PreflightStatus, str | None, bool]:
    """The state after asking the cluster to create the namespace: (status, error, created)."""
    if answer.observed is Observed.EXISTS:
        return PreflightStatus.OK, None, True
    if answer.observed is Observed.FORBIDDEN:
        return PreflightStatus.FORBIDDEN, f"cannot create the namespace: {answer.error}", False
    return PreflightStatus.UNREACHABLE, f"cannot create the namespace: {answer.error}", False


def refused(targets: Sequence[DeployTarget], allowed: Collection[str]) -> list[tuple[int, str]]:
    """(index, message) for each target whose cluster the workspace may not use."""
    return [
        (i, not_allowed_message(t.cluster, allowed))
        for i, t in enumerate(targets)
        if t.cluster not in allowed
    ]


def not_allowed_message(cluster: str, allowed: Collection[str]) -> str:
    names = ", ".join(sorted(allowed)) or "none"
    return f"cluster {cluster!r} is not one of the workspace's clusters (allowed: {names})"


def missing_message(target: DeployTarget) -> str:
    return (
        f"namespace {target.namespace!r} does not exist on cluster {target.cluster!r}; create it, or set "
        "create_namespace: true on the target"
    )
