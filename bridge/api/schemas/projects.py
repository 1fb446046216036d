"""Project bodies and responses."""

from __future__ import annotations

from pydantic import Field

from bridge.api.schemas.approvals import NotificationIn, NotificationOut
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
from bridge.services.projects import NotificationChange
from bridge.store import Stored

NOTIFICATION = "Signed JSON POSTs of the project's approval events (see docs: approvals)"


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
    approval_notification: NotificationIn | None = Field(default=None, description=NOTIFICATION)

    def notification(self) -> NotificationChange | None:
        n = self.approval_notification
        return None if n is None else NotificationChange(n.url, n.secret)

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
    approval_notification: NotificationIn | None = Field(
        default=None, description=NOTIFICATION + "; null: none; left out: unchanged (a left-out secret too)"
    )

    def changes(self) -> dict[str, object]:
        sent = self.model_dump(exclude_unset=True)
        sent.pop("approval_notification", None)
        if sent.get("workspace", "") is None:
            del sent["workspace"]
        return sent

    def notification(self) -> NotificationChange | None:
        if "approval_notification" not in self.model_fields_set:
            return None
        n = self.approval_notification
        if n is None:
            return NotificationChange(None)
        return NotificationChange(n.url, n.secret, keep_secret="secret" not in n.model_fields_set)


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
    approval_notification: NotificationOut | None = Field(
        default=None, description="The approval notification webhook (its secret never shown)"
    )

    @classmethod
    def of(cls, s: Stored[Project], jenkins: str | None = "default") -> ProjectOut:
        p, hook = s.obj, s.notification
        return cls(
            approval_notification=None
            if hook is None
            else NotificationOut(url=hook.url, secret_set=hook.signed),
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
