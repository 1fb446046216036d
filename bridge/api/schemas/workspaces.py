"""Workspace bodies and responses."""

from __future__ import annotations

from pydantic import BaseModel, Field

from bridge.api.schemas.common import Description, Input, MetaOut, Name, meta_fields
from bridge.domain.model import Workspace
from bridge.store import Stored


class WorkspaceIn(Input):
    name: str = Name
    description: str = Description
    clusters: list[str] = Field(default_factory=list, max_length=1000)

    def to_domain(self) -> Workspace:
        return Workspace(name=self.name, description=self.description, clusters=tuple(self.clusters))


class WorkspacePatch(Input):
    description: str = Description
    clusters: list[str] = Field(default_factory=list, max_length=1000)


class WorkspaceOut(MetaOut):
    name: str
    description: str
    clusters: list[str]

    @classmethod
    def of(cls, s: Stored[Workspace]) -> WorkspaceOut:
        w = s.obj
        return cls(name=w.name, description=w.description, clusters=list(w.clusters), **meta_fields(s))  # type: ignore[arg-type]


class WorkspaceList(BaseModel):
    items: list[WorkspaceOut]
    total: int
