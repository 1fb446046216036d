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
    cluster: str | None = Field(default=None, max_length=63, description="Placement cluster")
    description: str = Description

    def to_domain(self) -> Project:
        return Project(
            name=self.name, workspace=self.workspace, cluster=self.cluster, description=self.description
        )


class ProjectPatch(Input):
    workspace: str | None = Field(default=None, min_length=1, max_length=63, description="null: unchanged")
    cluster: str | None = Field(default=None, max_length=63, description="null: no placement cluster")
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
    cluster: str | None
    description: str
    sync: SyncOut

    @classmethod
    def of(cls, s: Stored[Project]) -> ProjectOut:
        p = s.obj
        return cls(
            name=p.name,
            workspace=p.workspace,
            cluster=p.cluster,
            description=p.description,
            sync=SyncOut.of(s.sync),
            **meta_fields(s),  # type: ignore[arg-type]
        )


class ProjectList(PageOut):
    items: list[ProjectOut] = Field(description="Ordered by name; only the projects the caller may see")
