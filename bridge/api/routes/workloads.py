"""Workloads in deploy targets, where a run runs, and promotion history (``services/workloads.py``).

``GET …/targets/<cluster>/<namespace>/workloads`` reads one declared target through its cluster's
kubeconfig (any other (cluster, namespace) is a 404 and is never read); ``GET …/runs/<run>/targets``
tells for each target whether the run's build runs there; a cluster that cannot be asked degrades only
its own entry. ``GET …/promotions`` is the history the promotion worker job records.
"""

from __future__ import annotations

from bridge.api.paging import Key, Pager, list_id
from bridge.api.registry import Call, Registry
from bridge.api.schemas.common import PageQuery
from bridge.api.schemas.workloads import (
    MatchOut,
    PromotionList,
    PromotionOut,
    RunTargetList,
    RunTargetOut,
    WorkloadList,
    WorkloadOut,
)
from bridge.domain.workloads import Promotion, Workload
from bridge.services.workloads import RunInTarget, WorkloadService

routes = Registry()
PIPELINE = "/api/v1/projects/<project>/pipelines/<pipeline>"


def _service(call: Call) -> WorkloadService:
    service = call.container.workloads
    assert service is not None  # the composition root always builds it
    return service


@routes.route(
    "GET",
    PIPELINE + "/targets/<cluster>/<namespace>/workloads",
    permission="pipeline.read",
    tag="pipelines",
    summary="A deploy target's Deployments, StatefulSets and DaemonSets: images, replicas, conditions",
    query=PageQuery,
    response=WorkloadList,
    errors=(400, 404),
)
def target_workloads(call: Call, project: str, pipeline: str, cluster: str, namespace: str) -> WorkloadList:
    seen = _service(call).target(project, pipeline, cluster, namespace)
    ordered = sorted(seen.workloads, key=lambda w: w.key)

    def fetch(after: Key | None, n: int) -> list[Workload]:
        return [w for w in ordered if after is None or w.key > (str(after[0]), str(after[1]))][:n]

    pager = Pager.of(
        call.query_as(PageQuery), list_id("workloads", project, pipeline, cluster, namespace), (str, str)
    )
    items, token = pager.page(fetch, key=lambda w: w.key)
    return WorkloadList(
        cluster=seen.cluster,
        namespace=seen.namespace,
        status=seen.status,
        reason=seen.reason,
        items=[WorkloadOut.of(w) for w in items],
        continue_=token,
    )


@routes.route(
    "GET",
    PIPELINE + "/runs/<int:run>/targets",
    permission="run.read",
    tag="runs",
    summary="Is this run running? For each deploy target, the images whose tag carries the run's number",
    query=PageQuery,
    response=RunTargetList,
    errors=(400, 404),
)
def run_targets(call: Call, project: str, pipeline: str, run: int) -> RunTargetList:
    found = _service(call).run_in_targets(project, pipeline, run)

    def fetch(after: Key | None, n: int) -> list[RunInTarget]:
        start = None if after is None else (str(after[0]), str(after[1]))
        return [t for t in found if start is None or (t.target.cluster, t.target.namespace) > start][:n]

    pager = Pager.of(call.query_as(PageQuery), list_id("run-targets", project, pipeline, run), (str, str))
    items, token = pager.page(fetch, key=lambda t: (t.target.cluster, t.target.namespace))
    return RunTargetList(
        items=[
            RunTargetOut(
                cluster=t.target.cluster,
                namespace=t.target.namespace,
                status=t.target.status,
                reason=t.target.reason,
                running=t.running,
                matches=[MatchOut.of(m) for m in t.matches],
            )
            for t in items
        ],
        continue_=token,
    )


@routes.route(
    "GET",
    PIPELINE + "/promotions",
    permission="pipeline.read",
    tag="pipelines",
    summary="Promotion history: per target and workload, which run's image was observed running, since when",
    query=PageQuery,
    response=PromotionList,
    errors=(400, 404),
)
def promotions(call: Call, project: str, pipeline: str) -> PromotionList:
    service = _service(call)

    def fetch(after: Key | None, n: int) -> list[Promotion]:
        before = None if after is None else int(after[0])
        return service.history(project, pipeline, before_id=before, limit=n)

    pager = Pager.of(call.query_as(PageQuery), list_id("promotions", project, pipeline), (int,))
    items, token = pager.page(fetch, key=lambda p: (p.id or 0,))
    return PromotionList(items=[PromotionOut.of(p) for p in items], continue_=token)
