"""Workloads of a deploy target, where a run runs, and the pipeline's promotion history."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from bridge.api.schemas.common import PageOut
from bridge.domain.workloads import ImageContainer, Match, Promotion, TargetStatus, Workload

StatusField = Field(
    description="ok; unreachable (no usable kubeconfig or no answer), forbidden (the kubeconfig may "
    "not list workloads there) or not_allowed (the cluster left the workspace): then nothing was read"
)


class ImageOut(BaseModel):
    container: str
    image: str = Field(description="The reference as the pod spec has it")
    repository: str
    tag: str | None
    digest: str | None

    @classmethod
    def of(cls, c: ImageContainer) -> ImageOut:
        i = c.image
        return cls(container=c.name, image=i.reference, repository=i.repository, tag=i.tag, digest=i.digest)


class ConditionOut(BaseModel):
    type: str
    status: str
    reason: str | None
    message: str | None
    changed_at: datetime | None


class WorkloadOut(BaseModel):
    kind: str = Field(description="Deployment, StatefulSet or DaemonSet")
    name: str
    images: list[ImageOut]
    desired: int = Field(description="Replicas asked for (DaemonSet: nodes it should run on)")
    ready: int
    updated: int
    available: int
    conditions: list[ConditionOut]
    last_change: datetime | None = Field(description="Newest of its creation and its conditions' changes")

    @classmethod
    def of(cls, w: Workload) -> WorkloadOut:
        return cls(
            kind=w.kind,
            name=w.name,
            images=[ImageOut.of(c) for c in w.containers],
            desired=w.desired,
            ready=w.ready,
            updated=w.updated,
            available=w.available,
            conditions=[
                ConditionOut(
                    type=c.type, status=c.status, reason=c.reason, message=c.message, changed_at=c.changed_at
                )
                for c in w.conditions
            ],
            last_change=w.last_change,
        )


class WorkloadList(PageOut):
    """The target's workloads."""

    cluster: str
    namespace: str
    status: TargetStatus = StatusField
    reason: str | None
    items: list[WorkloadOut] = Field(description="Ordered by kind, then name")


class MatchOut(BaseModel):
    kind: str
    workload: str
    image: ImageOut
    values: list[str] = Field(description="What of the run the tag carries: number and/or parameter names")

    @classmethod
    def of(cls, m: Match) -> MatchOut:
        return cls(
            kind=m.workload.kind,
            workload=m.workload.name,
            image=ImageOut.of(m.container),
            values=list(m.values),
        )


class RunTargetOut(BaseModel):
    cluster: str
    namespace: str
    status: TargetStatus = StatusField
    reason: str | None
    running: bool | None = Field(
        description="Whether an image there carries the run's number in its tag; null when not read"
    )
    matches: list[MatchOut]


class RunTargetList(PageOut):
    """Each deploy target of the pipeline."""

    items: list[RunTargetOut] = Field(description="Ordered by cluster, then namespace")


class PromotionOut(BaseModel):
    id: int
    cluster: str
    namespace: str
    workload: str = Field(description="Kind/name")
    run: int = Field(description="The run whose image was observed running")
    image: str
    since: datetime = Field(description="First observed running")
    last_seen: datetime

    @classmethod
    def of(cls, p: Promotion) -> PromotionOut:
        return cls(
            id=p.id or 0,
            cluster=p.cluster,
            namespace=p.namespace,
            workload=p.workload,
            run=p.run,
            image=p.image,
            since=p.since,
            last_seen=p.last_seen,
        )


class PromotionList(PageOut):
    """The promotion history."""

    items: list[PromotionOut] = Field(description="Newest first")
