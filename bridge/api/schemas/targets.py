"""Deploy targets: declared on a pipeline (``TargetModel``), listed with their preflight (``TargetOut``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from bridge.api.schemas.common import Input, PageOut
from bridge.domain.targets import DeployTarget, PreflightState, PreflightStatus

TargetName = Field(min_length=1, max_length=63, description="DNS-1123 label")


class TargetModel(Input):
    cluster: str = Field(
        min_length=1,
        max_length=63,
        description="A cluster of the project's workspace (see available_clusters)",
    )
    namespace: str = TargetName
    create_namespace: bool = Field(
        default=False,
        description="Let the bridge create the namespace when it is missing (labelled "
        "jenkins-bridge.io/created-by=jenkins-bridge)",
    )

    cluster_role: str | None = Field(
        default=None,
        min_length=1,
        max_length=253,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9:._-]*$",
        description="On a cluster whose credential policy is scoped: the ClusterRole bound to the "
        "project's ServiceAccount in this namespace (default: BRIDGE_SCOPED_CLUSTER_ROLE, edit)",
    )

    def to_domain(self) -> DeployTarget:
        return DeployTarget(self.cluster, self.namespace, self.create_namespace, self.cluster_role)

    @classmethod
    def of(cls, t: DeployTarget) -> TargetModel:
        return cls(
            cluster=t.cluster,
            namespace=t.namespace,
            create_namespace=t.create_namespace,
            cluster_role=t.cluster_role,
        )


class TargetOut(BaseModel):
    cluster: str
    namespace: str
    create_namespace: bool
    cluster_role: str | None = Field(default=None, description="null: the default ClusterRole")
    status: PreflightStatus = Field(
        description="pending (not checked yet), ok (the namespace exists), missing, forbidden (the "
        "cluster's kubeconfig may not read or create it), unreachable, not_allowed (the cluster is not "
        "one of the workspace's clusters any more)"
    )
    checked_at: datetime | None = Field(description="When the preflight last checked this target")
    error: str | None = Field(description="Why the status is not ok, for a human to act on")
    namespace_created: bool = Field(description="Whether the bridge created the namespace")

    @classmethod
    def of(cls, s: PreflightState) -> TargetOut:
        t = s.target
        return cls(
            cluster=t.cluster,
            namespace=t.namespace,
            create_namespace=t.create_namespace,
            cluster_role=t.cluster_role,
            status=s.status,
            checked_at=s.checked_at,
            error=s.error,
            namespace_created=s.namespace_created,
        )


class TargetList(PageOut):
    items: list[TargetOut] = Field(description="Ordered by cluster, then namespace")
