"""Workloads in a deploy target's namespace, and which run's images they run.

Plain data and pure rules, no I/O: a ``Workload`` (Deployment, StatefulSet or DaemonSet) with its
containers' images split into repository and tag, replica counts, conditions and last change; what a
target answered (``TargetWorkloads``: ``ok``, or why not); and how a run is recognised in an image:
its number or one of its parameter values appears in the tag as a whole token (``SNAPSHOT-master-42``
has the tokens ``SNAPSHOT``, ``master``, ``42``), so build 4 is not taken for build 42.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

KINDS = ("Deployment", "StatefulSet", "DaemonSet")


@dataclass(frozen=True)
class Image:
    """A container image reference: ``repository`` (registry and path), ``tag`` and/or ``digest``."""

    reference: str
    repository: str
    tag: str | None
    digest: str | None = None


def parse_image(reference: str) -> Image:
    """``registry:5000/team/app:1.2@sha256:…`` → repository ``registry:5000/team/app``, tag ``1.2``. An
    image without tag or digest runs ``latest`` (what the kubelet pulls)."""
    rest, _, digest = reference.partition("@")
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        repository, tag = rest[:colon], rest[colon + 1 :]
    else:
        repository, tag = rest, None
    if tag is None and not digest:
        tag = "latest"
    return Image(reference, repository, tag or None, digest or None)


@dataclass(frozen=True)
class ImageContainer:
    name: str
    image: Image


@dataclass(frozen=True)
class Condition:
    type: str
    status: str
    reason: str | None = None
    message: str | None = None
    changed_at: datetime | None = None


@dataclass(frozen=True)
class Workload:
    kind: str  # one of KINDS
    name: str
    containers: tuple[ImageContainer, ...]
    desired: int
    ready: int
    updated: int
    available: int = 0
    conditions: tuple[Condition, ...] = ()
    #: The newest of the creation time and the conditions' transitions.
    last_change: datetime | None = None
    generation: int | None = None
    observed_generation: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.name)


def last_change(created: datetime | None, conditions: Iterable[Condition]) -> datetime | None:
    times = [t for t in (created, *(c.changed_at for c in conditions)) if t is not None]
    return max(times) if times else None


class TargetStatus(enum.StrEnum):
    OK = "ok"
    #: the cluster could not be asked (no usable kubeconfig, no answer)
    UNREACHABLE = "unreachable"
    #: the cluster's kubeconfig may not list workloads there
    FORBIDDEN = "forbidden"
    #: the target's cluster is no longer one the project's workspace may use: not read
    NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True)
class TargetWorkloads:
    cluster: str
    namespace: str
    status: TargetStatus
    reason: str | None = None
    workloads: tuple[Workload, ...] = ()


@dataclass(frozen=True)
class Match:
    """A container whose image tag carries values of a run."""

    workload: Workload
    container: ImageContainer
    values: tuple[str, ...]  # the names matched: "number" and/or parameter names

    @property
    def has_number(self) -> bool:
        return "number" in self.values


def run_values(number: int, parameters: Mapping[str, str]) -> dict[str, str]:
    """The values of a run that can appear in an image tag: its number and its parameter values (empty
    values and booleans left out; they would match anything)."""
    values = {"number": str(number)}
    values.update({k: v for k, v in parameters.items() if v.strip() and v.lower() not in ("true", "false")})
    return values


def matches(values: Mapping[str, str], workloads: Sequence[Workload]) -> list[Match]:
    """Each container whose tag contains one of ``values`` bounded by separators or the tag's ends (a
    value may span several tokens, e.g. ``release-1.2``)."""
    found = []
    for workload in workloads:
        for container in workload.containers:
            hit = tuple(name for name, v in values.items() if _in_order(v, container.image.tag))
            if hit:
                found.append(Match(workload, container, hit))
    return found


def _in_order(value: str, tag: str | None) -> bool:
    """``value`` appears in ``tag`` bounded by token separators (or the tag's ends)."""
    pattern = rf"(^|[-_.+]){re.escape(value)}($|[-_.+])"
    return re.search(pattern, tag or "") is not None


def runs_in(number: int, parameters: Mapping[str, str], workloads: Sequence[Workload]) -> list[Match]:
    """Containers running this run's build: the tag carries its number."""
    return [m for m in matches(run_values(number, parameters), workloads) if m.has_number]


@dataclass(frozen=True)
class Observation:
    """Which run's image a workload of a target was seen running (the promotion worker's record)."""

    cluster: str
    namespace: str
    workload: str  # "Kind/name"
    run: int
    image: str


def identify(runs: Sequence[tuple[int, Mapping[str, str]]], target: TargetWorkloads) -> list[Observation]:
    """For each workload of the target, the newest of ``runs`` (number, parameters) whose number its
    images carry; workloads running none of them are left out."""
    out: list[Observation] = []
    newest_first = sorted(runs, key=lambda r: -r[0])
    for workload in target.workloads:
        for number, parameters in newest_first:
            hit = runs_in(number, parameters, [workload])
            if hit:
                out.append(
                    Observation(
                        target.cluster,
                        target.namespace,
                        f"{workload.kind}/{workload.name}",
                        number,
                        hit[0].container.image.reference,
                    )
                )
                break
    return out


@dataclass(frozen=True)
class Promotion:
    """A stretch of time during which a target's workload was seen running one run's image."""

    cluster: str
    namespace: str
    workload: str
    run: int
    image: str
    since: datetime
    last_seen: datetime
    id: int | None = None
