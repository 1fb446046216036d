"""Cluster responses. A cluster's kubeconfig is never part of any response."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from bridge.api.schemas.common import PageOut, PageQuery
from bridge.services.clusters import ClusterView

#: What non-admins read instead of a problem's details.
UNUSABLE = "the cluster cannot be used at the moment; a platform administrator can see why"


class ReachabilityOut(BaseModel):
    reachable: bool | None = Field(description="null: not checked yet")
    checked_at: datetime | None = None
    latency_ms: float | None = Field(default=None, description="Duration of the last /version call")
    error: str | None = Field(default=None, description="Why the last check failed")


class ClusterOut(BaseModel):
    name: str
    source: Literal["kubesphere", "argocd", "static"]
    origin: str | None = Field(
        description="The object or file the cluster comes from (several for a name clash); "
        "platform admins only"
    )
    role: Literal["host", "member"]
    devops_enabled: bool
    ready: bool | None = Field(
        description="Readiness as the source reports it (KubeSphere's Ready condition)"
    )
    jenkins: str | None = Field(description="The Jenkins serving this cluster's projects; null: none")
    problem: str | None = Field(
        description="Why the cluster cannot be used (name clash, unusable kubeconfig); the details, "
        "which name objects and files of the platform, are for platform admins"
    )
    kubernetes_version: str | None
    reachability: ReachabilityOut
    workspaces: list[str] = Field(
        description="Workspaces whose projects may use this cluster (that you can see)"
    )
    generation: int
    updated_at: datetime

    @classmethod
    def of(cls, view: ClusterView, *, show_workspace: Callable[[str], bool], admin: bool) -> ClusterOut:
        record, seen = view.state.record, view.state.reachability
        problem = record.problem if admin or record.problem is None else UNUSABLE
        return cls(
            name=record.name,
            source=record.source.value,
            origin=record.origin if admin else None,
            role=record.role.value,
            devops_enabled=record.devops,
            ready=record.ready,
            jenkins=view.jenkins,
            problem=problem,
            kubernetes_version=seen.version if seen else None,
            reachability=ReachabilityOut(
                reachable=seen.reachable if seen else None,
                checked_at=seen.checked_at if seen else None,
                latency_ms=seen.latency_ms if seen else None,
                error=seen.error if seen else None,
            ),
            workspaces=[w for w in view.workspaces if show_workspace(w)],
            generation=view.state.generation,
            updated_at=view.state.updated_at,
        )


class ClusterList(PageOut):
    items: list[ClusterOut] = Field(description="Ordered by name; only the clusters the caller may see")


class ClusterQuery(PageQuery):
    workspace: str | None = Field(
        default=None, max_length=63, description="Only clusters this workspace may use"
    )
