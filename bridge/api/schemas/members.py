"""Role bindings (members), the caller's own identity, and audit entries as API bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from bridge.api.schemas.common import Input, PageOut, PageQuery
from bridge.audit.log import AuditEntry
from bridge.identity.bindings import Binding
from bridge.identity.policy import Grants

RoleName = Literal["viewer", "operator", "admin"]
SubjectKindName = Literal["user", "group"]
Subject = Field(
    min_length=1, max_length=253, description="User or group name as the identity source spells it"
)


class MemberIn(Input):
    subject: str = Subject
    kind: SubjectKindName = "user"
    role: RoleName


class MemberOut(BaseModel):
    subject: str
    kind: SubjectKindName
    role: RoleName
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, b: Binding) -> MemberOut:
        return cls(
            subject=b.subject,
            kind=b.subject_kind.value,
            role=b.role.label,  # type: ignore[arg-type]
            created_at=b.created_at,
            created_by=b.created_by,
        )


class MemberList(PageOut):
    items: list[MemberOut] = Field(description="Ordered by kind (group before user), then subject")


class WhoAmI(BaseModel):
    user: str
    groups: list[str]
    authenticated_by: str
    platform_admin: bool
    projects: dict[str, RoleName] = Field(description="Roles granted directly on projects")
    workspaces: dict[str, RoleName] = Field(
        description="Roles granted on workspaces (hold on all their projects)"
    )

    @classmethod
    def of(cls, grants: Grants) -> WhoAmI:
        p = grants.principal
        return cls(
            user=p.name,
            groups=sorted(p.groups),
            authenticated_by=p.source.value,
            platform_admin=grants.platform_admin,
            projects={k: v.label for k, v in sorted(grants.projects.items())},  # type: ignore[misc]
            workspaces={k: v.label for k, v in sorted(grants.workspaces.items())},  # type: ignore[misc]
        )


def _rfc3339(value: object) -> object:
    """Times in queries must be RFC 3339 text (pydantic alone would also take numbers as epochs)."""
    if value is None or isinstance(value, datetime):
        return value
    if not isinstance(value, str) or "T" not in value.upper():
        raise ValueError("must be an RFC 3339 date-time such as 2026-01-31T12:00:00Z")
    return value


class AuditQueryIn(PageQuery):
    project: str | None = Field(default=None, max_length=63)
    user: str | None = Field(default=None, max_length=253)
    action: str | None = Field(default=None, max_length=64)
    since: datetime | None = Field(default=None, description="Entries at or after this time (RFC 3339)")
    until: datetime | None = Field(default=None, description="Entries before this time (RFC 3339)")
    before: int | None = Field(
        default=None, ge=1, le=2**62, description="Entries older than this id (or page with `continue`)"
    )

    _times = field_validator("since", "until", mode="before")(_rfc3339)


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str
    authenticated_by: str
    token_id: str | None
    address: str
    method: str
    path: str
    action: str
    project: str | None
    outcome: Literal["success", "denied", "unauthenticated", "failed"]
    status: int
    request_id: str

    @classmethod
    def of(cls, e: AuditEntry) -> AuditOut:
        return cls(
            id=e.id or 0,
            at=e.at,
            actor=e.actor,
            authenticated_by=e.actor_source,
            token_id=e.token_id,
            address=e.address,
            method=e.method,
            path=e.path,
            action=e.action,
            project=e.project,
            outcome=e.outcome.value,
            status=e.status,
            request_id=e.request_id,
        )


class AuditList(PageOut):
    items: list[AuditOut] = Field(description="Newest first")
