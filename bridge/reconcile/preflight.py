"""Deploy target preflight: does each target's namespace exist on its cluster? Create it when asked.

A worker job, never the API: ``run()`` checks the targets whose check was requested (a new or changed
target, a change of its cluster in the inventory, a change of its workspace's clusters); ``run(every=
True)`` checks them all (the periodic pass). For each target: a cluster outside the project's
workspace is ``not_allowed``; one the inventory cannot reach through a usable kubeconfig is
``unreachable``; otherwise the cluster is asked through its kubeconfig (``NamespacePort``), and a
missing namespace is created, labelled as bridge-created, when the target says ``create_namespace``.
The rules are ``bridge.domain.targets``; results go back through ``TargetBook.record``, which keeps
only a result for the row's current revision (a target changed meanwhile is checked again).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from bridge.domain.clusters import ClusterChange, ClusterState, Placement
from bridge.domain.kubeconfigs import available_clusters
from bridge.domain.model import Workspace
from bridge.domain.targets import (
    CREATED_BY_LABEL,
    CREATED_BY_VALUE,
    REQUESTED_FOR_ANNOTATION,
    NamespaceAnswer,
    Observed,
    PreflightState,
    PreflightStatus,
    Step,
    after_creating,
    before_observing,
    decide,
)

log = logging.getLogger(__name__)


class NamespacePort(Protocol):
    """Namespaces through a cluster's kubeconfig (``bridge.adapters.kube.namespaces.KubeNamespaces``)."""

    def observe(self, cluster: str, kubeconfig: str, namespace: str) -> NamespaceAnswer: ...

    def create(
        self,
        cluster: str,
        kubeconfig: str,
        namespace: str,
        *,
        labels: Mapping[str, str],
        annotations: Mapping[str, str],
    ) -> NamespaceAnswer: ...


class TargetBook(Protocol):
    """The targets' rows (``bridge.store.deploy_targets.DeployTargetBook``)."""

    def due(self, *, every: bool = False) -> list[tuple[str, PreflightState]]: ...

    def workspaces(self) -> dict[str, Workspace]: ...

    def record(self, state: PreflightState, *, created: bool = False) -> None: ...

    def request(self, clusters: Collection[str]) -> int: ...


class ClusterInventory(Protocol):
    """The inventory as the preflight reads it (``bridge.store.clusters.ClusterCatalog``)."""

    def states(self) -> list[ClusterState]: ...

    def kubeconfig(self, name: str) -> str | None: ...

    def placements(self) -> dict[str, Placement]: ...


@dataclass(frozen=True)
class PreflightResult:
    checked: int
    #: Namespaces the bridge created in this run.
    created: int
    #: Per status, how many targets ended there.
    statuses: Mapping[str, int]


class Preflight:
    def __init__(
        self,
        *,
        book: TargetBook,
        inventory: ClusterInventory,
        namespaces: NamespacePort,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._book, self._inventory, self._namespaces, self._clock = book, inventory, namespaces, clock
        self._lock = threading.Lock()

    def run(self, *, every: bool = False) -> PreflightResult:
        """Check the requested targets (all of them with ``every``); one run at a time."""
        with self._lock:
            due = self._book.due(every=every)
            if not due:
                return PreflightResult(checked=0, created=0, statuses={})
            states = self._inventory.states()
            placements = self._inventory.placements()
            workspaces = self._book.workspaces()
            allowed = {name: available_clusters(ws, placements, states) for name, ws in workspaces.items()}
            usable = {s.record.name for s in states if s.digest and s.record.problem is None}
            kubeconfigs: dict[str, str | None] = {}
            down: dict[str, NamespaceAnswer] = {}  # clusters that did not answer in this run
            created, statuses = 0, dict[str, int]()
            for workspace, state in due:
                cluster = state.target.cluster
                if cluster in usable and cluster not in kubeconfigs:
                    kubeconfigs[cluster] = self._inventory.kubeconfig(cluster)
                result, made = self._check(state, allowed.get(workspace, ()), kubeconfigs.get(cluster), down)
                self._book.record(result, created=made)
                created += made
                statuses[result.status.value] = statuses.get(result.status.value, 0) + 1
            if created or any(s != "ok" for s in statuses):
                log.info(
                    "deploy target preflight: %d checked, %d namespaces created, %s",
                    len(due),
                    created,
                    statuses,
                )
            return PreflightResult(checked=len(due), created=created, statuses=statuses)

    def _check(
        self,
        state: PreflightState,
        allowed: Collection[str],
        kubeconfig: str | None,
        down: dict[str, NamespaceAnswer],
    ) -> tuple[PreflightState, bool]:
        target = state.target
        early = before_observing(target, allowed, kubeconfig is not None)
        if early is not None:
            return self._done(state, *early), False
        assert kubeconfig is not None
        answer = down.get(target.cluster) or self._namespaces.observe(
            target.cluster, kubeconfig, target.namespace
        )
        if answer.observed is Observed.UNREACHABLE:  # the cluster's other targets are not asked in this run
            down[target.cluster] = answer
        step, status, error = decide(target, answer)
        if step is not Step.CREATE:
            return self._done(state, status, error), False
        answer = self._namespaces.create(
            target.cluster,
            kubeconfig,
            target.namespace,
            labels={CREATED_BY_LABEL: CREATED_BY_VALUE},
            annotations={REQUESTED_FOR_ANNOTATION: f"{state.project}/{state.pipeline}"},
        )
        status, error, made = after_creating(answer)
        return self._done(state, status, error), made

    def _done(self, state: PreflightState, status: PreflightStatus, error: str | None) -> PreflightState:
        return dataclasses.replace(state, status=status, error=error, checked_at=self._clock())

    def on_change(self, change: ClusterChange) -> None:
        """Inventory listener: the targets on a cluster that joined, left or changed are checked again
        at the next run."""
        self._book.request([change.name])
