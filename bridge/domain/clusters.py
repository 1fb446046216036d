"""The cluster inventory: which Kubernetes clusters exist, how to reach them, and who may use them.

Plain data and pure functions. Sources (KubeSphere ``Cluster`` objects, Argo CD cluster Secrets, static
kubeconfigs from settings) report ``ClusterRecord``s; ``merge`` puts every source into one name space and
turns a name offered twice into a clash (neither kubeconfig is used). ``Placement`` is a KubeSphere
``WorkspaceTemplate``'s ``spec.placement``. A record's ``kubeconfig`` is a secret: it is never in ``repr``
and never leaves the bridge except into the Jenkins folders entitled to it.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def is_cluster_name(name: str) -> bool:
    """A DNS-1123 label: usable in a URL, as a Jenkins credential id and as a Kubernetes name."""
    return bool(_NAME.match(name))


class SourceKind(enum.StrEnum):
    KUBESPHERE = "kubesphere"
    ARGOCD = "argocd"
    STATIC = "static"


class ClusterRole(enum.StrEnum):
    HOST = "host"
    MEMBER = "member"


@dataclass(frozen=True)
class ClusterRecord:
    """One cluster as one source reports it."""

    name: str
    source: SourceKind
    #: Where it came from, for people: ``Cluster rohan``, ``Secret argocd/cluster-x``, ``file …#ctx``.
    origin: str
    #: A self-contained kubeconfig (YAML text), or empty when ``problem`` says why there is none.
    kubeconfig: str = field(default="", repr=False)
    role: ClusterRole = ClusterRole.MEMBER
    devops: bool = False
    #: What the source says about readiness (KubeSphere's ``Ready`` condition); None: not reported.
    ready: bool | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    #: Why this cluster cannot be used (unsupported authentication, bad kubeconfig, name clash).
    problem: str | None = None

    @property
    def digest(self) -> str:
        """Changes exactly when the kubeconfig does (what a kubeconfig sync compares)."""
        return hashlib.sha256(self.kubeconfig.encode("utf-8")).hexdigest() if self.kubeconfig else ""


@dataclass(frozen=True)
class Reachability:
    """The last ``/version`` call through a cluster's kubeconfig."""

    reachable: bool
    checked_at: datetime
    latency_ms: float | None = None
    version: str | None = None
    #: Why the call failed, for a person; never holds credentials.
    error: str | None = None


@dataclass(frozen=True)
class Placement:
    """A KubeSphere ``WorkspaceTemplate``'s ``spec.placement``.

    KubeSphere's rule (``ListWorkspaceClusters``): a ``clusters`` list, when present, is exactly the
    placement; otherwise a ``clusterSelector`` whose ``matchLabels`` is absent selects every cluster, and
    one with ``matchLabels`` selects the clusters carrying all of them; otherwise none.
    """

    workspace: str
    clusters: tuple[str, ...] | None = None
    #: ``matchLabels`` of ``clusterSelector``; ``{}`` with ``selector_all`` means every cluster.
    match_labels: Mapping[str, str] | None = None
    selector_all: bool = False

    def resolve(self, clusters: Iterable[ClusterRecord]) -> tuple[str, ...]:
        if self.clusters is not None:
            return self.clusters
        if self.selector_all:
            return tuple(sorted(c.name for c in clusters))
        if self.match_labels:
            wanted = self.match_labels.items()
            return tuple(sorted(c.name for c in clusters if all(c.labels.get(k) == v for k, v in wanted)))
        return ()


def clash_problem(name: str, origins: Iterable[str]) -> str:
    listed = " and ".join(sorted(origins))
    return (
        f"cluster name {name!r} is offered by {listed}; cluster names must be unique across sources, "
        "so neither is used until one is renamed or removed"
    )


def merge(records: Iterable[ClusterRecord]) -> dict[str, ClusterRecord]:
    """One record per name. A name offered by several records becomes a clash: a record without a
    kubeconfig whose ``problem`` names every origin (so no one's kubeconfig is handed out by mistake)."""
    by_name: dict[str, list[ClusterRecord]] = {}
    for record in records:
        by_name.setdefault(record.name, []).append(record)
    merged: dict[str, ClusterRecord] = {}
    for name, found in sorted(by_name.items()):
        if len(found) == 1:
            merged[name] = found[0]
            continue
        first = min(found, key=lambda r: (r.source.value, r.origin))
        merged[name] = ClusterRecord(
            name=name,
            source=first.source,
            origin=", ".join(sorted(f"{r.source.value}: {r.origin}" for r in found)),
            role=first.role,
            problem=clash_problem(name, (f"{r.source.value} ({r.origin})" for r in found)),
        )
    return merged


class ChangeKind(enum.StrEnum):
    JOINED = "joined"
    CHANGED = "changed"
    LEFT = "left"


@dataclass(frozen=True)
class ClusterChange:
    """What a kubeconfig sync (or anything else) needs to hear about one cluster."""

    name: str
    kind: ChangeKind
    kubeconfig_changed: bool = False
    devops_changed: bool = False


@dataclass(frozen=True)
class ClusterState:
    """A cluster as the inventory holds it: the record without its kubeconfig, plus what was observed."""

    record: ClusterRecord
    #: sha256 of the kubeconfig ("" when there is none); changes when the kubeconfig rotates.
    digest: str
    #: Bumped on every change of the record (not of reachability).
    generation: int
    updated_at: datetime
    reachability: Reachability | None = None
