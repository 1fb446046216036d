"""Workspace bodies and responses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import Field

from bridge.api.schemas.common import Description, Input, MetaOut, Name, PageOut, meta_fields
from bridge.domain.model import Workspace
from bridge.store import Stored

#: A cluster name: a DNS-1123 label (the service checks the characters and says which are wrong).
ClusterName = Annotated[str, Field(min_length=1, max_length=63)]

Clusters: Any = Field(default_factory=list, max_length=1000, json_schema_extra={"uniqueItems": True})


class WorkspaceIn(Input):
    name: str = Name
    description: str = Description
    clusters: list[ClusterName] = Clusters

    def to_domain(self) -> Workspace:
        return Workspace(name=self.name, description=self.description, clusters=tuple(self.clusters))


class WorkspacePatch(Input):
    description: str = Description
    clusters: list[ClusterName] = Clusters


class WorkspaceOut(MetaOut):
    name: str
    description: str
    clusters: list[str]
    available_clusters: list[str] = Field(
        description="Clusters this workspace's projects may use: `clusters`, plus on a KubeSphere host the "
        "clusters of its WorkspaceTemplate's spec.placement"
    )

    @classmethod
    def of(cls, s: Stored[Workspace], available: Sequence[str] | None = None) -> WorkspaceOut:
        w = s.obj
        return cls(
            name=w.name,
            description=w.description,
            clusters=list(w.clusters),
            available_clusters=list(w.clusters if available is None else available),
            **meta_fields(s),  # type: ignore[arg-type]
        )


class WorkspaceList(PageOut):
    items: list[WorkspaceOut] = Field(description="Ordered by name; only the workspaces the caller may see")
