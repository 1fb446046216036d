"""Project bodies and responses."""

from __future__ import annotations

from pydantic import Field

from bridge.api.schemas.common import (
    Description,
    Input,
    MetaOut,
    Name,
    PageOut,
    PageQuery,
    SyncOut,
    meta_fields,
)
from bridge.domain.model import Project
from bridge.store import Stored


class ProjectIn(Input):
    name: str = Name
    workspace: str = Field(min_length=1, max_length=63)
    cluster: str | None = Field(
        default=None,
        max_length=63,
        description="The cluster the project is placed on: a DevOps-enabled cluster of its workspace "
        "served by a Jenkins, whose controller holds the project's folder. Default: the workspace's "
        "first eligible cluster (with a cluster inventory); another is a 400 naming the eligible ones",
    )
    description: str = Description

    def to_domain(self) -> Project:
        return Project(
            name=self.name, workspace=self.workspace, cluster=self.cluster, description=self.description
        )


class ProjectPatch(Input):
    workspace: str | None = Field(default=None, min_length=1, max_length=63, description="null: unchanged")
    cluster: str | None = Field(
        default=None,
        max_length=63,
        description="Place the project on another cluster: its folder moves to that cluster's Jenkins "
        "(created there, then the old one deleted). null: the workspace's first eligible cluster "
        "(none without a cluster inventory)",
    )
    description: str = Description

    def changes(self) -> dict[str, object]:
        sent = self.model_dump(exclude_unset=True)
        if sent.get("workspace", "") is None:
            del sent["workspace"]
        return sent


class ProjectQuery(PageQuery):
    workspace: str | None = Field(default=None, max_length=63)


class ProjectOut(MetaOut):
    name: str
    workspace: str
    cluster: str | None = Field(description="The cluster the project is placed on")
    jenkins: str | None = Field(
        description="The Jenkins controller holding the project's folder (the one serving its cluster; "
        "`default` when unplaced); null: no Jenkins serves its cluster now"
    )
    description: str
    sync: SyncOut

    @classmethod
    def of(cls, s: Stored[Project], jenkins: str | None = "default") -> ProjectOut:
        p = s.obj
        return cls(
            name=p.name,
            workspace=p.workspace,
            cluster=p.cluster,
            jenkins=jenkins,
            description=p.description,
            sync=SyncOut.of(s.sync),
            **meta_fields(s),  # type: ignore[arg-type]
        )


class ProjectList(PageOut):
    items: list[ProjectOut] = Field(description="Ordered by name; only the projects the caller may see")
