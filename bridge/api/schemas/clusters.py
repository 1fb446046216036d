"""Cluster responses. A cluster's kubeconfig is never part of any response."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from bridge.api.schemas.common import PageOut, PageQuery
from bridge.services.clusters import ClusterView
from bridge.services.kubeconfigs import ClusterSync

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
    jenkins: str | None = Field(
        description="The Jenkins controller serving this cluster's projects (a DevOps-enabled cluster "
        "the settings map to one); null: none, so no project may be placed on it"
    )
    projects: int = Field(description="Projects placed on this cluster (their folders are on its Jenkins)")
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
    kubeconfig_conflicts: list[str] = Field(
        default_factory=list,
        description="Projects (that you can see) whose Jenkins folder could not receive this cluster's "
        "kubeconfig: a credential with the same id is declared there, or Jenkins holds an item the "
        "bridge does not manage; the project's clusters listing says which",
    )

    @classmethod
    def of(
        cls,
        view: ClusterView,
        *,
        show_workspace: Callable[[str], bool],
        admin: bool,
        conflicts: Sequence[str] = (),
    ) -> ClusterOut:
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
            projects=view.projects,
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
            kubeconfig_conflicts=list(conflicts),
        )


class ClusterList(PageOut):
    items: list[ClusterOut] = Field(description="Ordered by name; only the clusters the caller may see")


class ClusterQuery(PageQuery):
    workspace: str | None = Field(
        default=None, max_length=63, description="Only clusters this workspace may use"
    )


class ProjectClusterOut(BaseModel):
    """One entitled cluster of a project and the kubeconfig credential the bridge keeps for it."""

    cluster: str
    credential_id: str = Field(description="The credential's id in the project's Jenkins folder")
    status: Literal["pending", "synced", "conflict", "error", "removing"] = Field(
        description="conflict: a credential declared with this id wins, the kubeconfig is not synced; "
        "removing: no longer entitled, to be removed from the folder"
    )
    generation: int | None = Field(description="The cluster's generation in the inventory now")
    synced_generation: int | None = Field(description="The generation last written into the folder")
    synced_at: datetime | None = None
    message: str | None = None

    @classmethod
    def of(cls, item: ClusterSync) -> ProjectClusterOut:
        return cls(
            cluster=item.cluster,
            credential_id=item.credential_id,
            status=item.status.value,
            generation=item.generation,
            synced_generation=item.synced_generation,
            synced_at=item.synced_at,
            message=item.message,
        )


class ProjectClusterList(PageOut):
    items: list[ProjectClusterOut] = Field(description="Ordered by cluster name")
