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
    cluster: str | None = Field(default=None, max_length=63, description="Placement cluster")
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
    cluster: str | None = Field(default=None, max_length=63, description="null: no placement cluster")
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
    cluster: str | None
    description: str
    sync: SyncOut
    approval_notification: NotificationOut | None = Field(
        default=None, description="The approval notification webhook (its secret never shown)"
    )

    @classmethod
    def of(cls, s: Stored[Project]) -> ProjectOut:
        p, hook = s.obj, s.notification
        return cls(
            approval_notification=None
            if hook is None
            else NotificationOut(url=hook.url, secret_set=hook.signed),
            name=p.name,
            workspace=p.workspace,
            cluster=p.cluster,
            description=p.description,
            sync=SyncOut.of(s.sync),
            **meta_fields(s),  # type: ignore[arg-type]
        )


class ProjectList(PageOut):
    items: list[ProjectOut] = Field(description="Ordered by name; only the projects the caller may see")
