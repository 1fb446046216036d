"""Workloads in a pipeline's deploy targets, which run each target runs, and the promotion history.

A target's workloads are read through its cluster's kubeconfig, only for a (cluster, namespace) the
pipeline declares: anything else is a 404 and nothing is read. A target whose cluster left the
project's workspace (preflight ``not_allowed``) is not read either. A cluster that cannot be asked
degrades its own entry (``unreachable``/``forbidden`` with a reason), never the answer. The promotion
worker job (``observe``) records, per target and workload, which indexed run's image is running.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from bridge.domain.targets import PreflightState, PreflightStatus
from bridge.domain.workloads import Match, Promotion, TargetStatus, TargetWorkloads, identify, runs_in
from bridge.errors import NotFound
from bridge.services.common import project_must_exist
from bridge.store import Store
from bridge.store.promotions import PromotionBook
from bridge.store.runs import RunFilter

log = logging.getLogger(__name__)
#: Runs of the index a promotion pass tries to recognise in the images (newest first).
RECENT_RUNS = 100
#: Targets read at the same time (a silent cluster costs its timeout once, not once per target in turn).
PARALLEL_READS = 8


class WorkloadPort(Protocol):
    """``bridge.adapters.kube.workloads.KubeWorkloads``."""

    def read(self, cluster: str, kubeconfig: str, namespace: str) -> TargetWorkloads: ...


class Kubeconfigs(Protocol):
    """``bridge.store.clusters.ClusterCatalog``: a cluster's kubeconfig, ``None`` when it has none."""

    def kubeconfig(self, name: str) -> str | None: ...


@dataclass(frozen=True)
class RunInTarget:
    target: TargetWorkloads
    matches: tuple[Match, ...]

    @property
    def running(self) -> bool | None:
        """Whether the run's build runs there; ``None`` when the target could not be read."""
        return bool(self.matches) if self.target.status is TargetStatus.OK else None


class WorkloadService:
    def __init__(self, store: Store, clusters: Kubeconfigs, kube: WorkloadPort, book: PromotionBook) -> None:
        self.store, self.clusters, self.kube, self.book = store, clusters, kube, book

    def _targets(self, project: str, pipeline: str) -> list[PreflightState]:
        with self.store.read() as tx:
            project_must_exist(tx, project)
            if tx.pipelines.get(project, pipeline) is None:
                raise NotFound(f"pipeline {pipeline!r} does not exist in project {project!r}")
            return tx.targets.list(project, pipeline)

    def _read(self, state: PreflightState) -> TargetWorkloads:
        cluster, namespace = state.target.key
        if state.status is PreflightStatus.NOT_ALLOWED:
            return TargetWorkloads(cluster, namespace, TargetStatus.NOT_ALLOWED, state.error)
        kubeconfig = self.clusters.kubeconfig(cluster)
        if not kubeconfig:
            reason = f"cluster {cluster!r} has no usable kubeconfig in the inventory"
            return TargetWorkloads(cluster, namespace, TargetStatus.UNREACHABLE, reason)
        return self.kube.read(cluster, kubeconfig, namespace)

    def _read_all(self, states: Sequence[PreflightState]) -> list[TargetWorkloads]:
        if len(states) <= 1:
            return [self._read(s) for s in states]
        with ThreadPoolExecutor(max_workers=min(PARALLEL_READS, len(states))) as pool:
            return list(pool.map(self._read, states))

    def target(self, project: str, pipeline: str, cluster: str, namespace: str) -> TargetWorkloads:
        """One declared target's workloads (404 for any other (cluster, namespace): never read)."""
        found = [s for s in self._targets(project, pipeline) if s.target.key == (cluster, namespace)]
        if not found:
            raise NotFound(f"{cluster}/{namespace} is not a deploy target of pipeline {project}/{pipeline}")
        return self._read(found[0])

    def run_in_targets(self, project: str, pipeline: str, number: int) -> list[RunInTarget]:
        """For each target: the containers whose image tag carries the run's number (and which of its
        parameter values they carry too)."""
        with self.store.read() as tx:
            run = tx.runs.get(project, pipeline, number)
        targets = self._targets(project, pipeline)
        if run is None:
            raise NotFound(f"run {number} of pipeline {project}/{pipeline} is not in the run index")
        return [
            RunInTarget(seen, tuple(runs_in(number, run.parameters, seen.workloads)))
            for seen in self._read_all(targets)
        ]

    def history(self, project: str, pipeline: str, *, before_id: int | None, limit: int) -> list[Promotion]:
        self._targets(project, pipeline)
        return self.book.history(project, pipeline, before_id=before_id, limit=limit)

    def observe(self) -> int:
        """The promotion worker job: every pipeline's targets read once, each workload's image matched
        to the newest indexed run it carries, stretches recorded. Returns the stretches opened."""
        with self.store.read() as tx:
            pipelines = sorted({(s.project, s.pipeline) for s in tx.targets.every()})
        opened = 0
        for project, pipeline in pipelines:
            with self.store.read() as tx:
                runs = tx.runs.page(project, pipeline, RunFilter(), before_id=None, limit=RECENT_RUNS)
                targets = tx.targets.list(project, pipeline)
            numbered: Sequence[tuple[int, Mapping[str, str]]] = [
                (r.number, r.parameters) for r in runs if r.number is not None
            ]
            seen = []
            for answer in self._read_all(targets):
                if answer.status is TargetStatus.OK:
                    seen += identify(numbered, answer)
                else:
                    log.info(
                        "promotions: %s/%s not read: %s", answer.cluster, answer.namespace, answer.reason
                    )
            opened += self.book.observe(project, pipeline, seen)
        return opened


class PromotionJob:
    """The worker job (``Worker.promotions``, every ``clusters.promotion_interval``)."""

    def __init__(self, service: WorkloadService) -> None:
        self.service = service

    def run(self) -> int:
        return self.service.observe()
