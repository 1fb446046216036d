"""Approval bodies and responses: pending inputs, decisions, a pipeline's rules, a project's notification."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from bridge.api.schemas.common import Input, PageOut, PageQuery
from bridge.domain.approvals import MAX_EXPIRY_HOURS, MAX_REQUIRED, ApprovalRules, Reason
from bridge.services.approvals import Assessed

Comment = Field(default=None, max_length=4096, description="Why; kept with the decision and in its events")


class ApproveIn(Input):
    parameters: dict[str, str] = Field(
        default_factory=dict, max_length=100, description="Values for the input's parameters, by name"
    )
    comment: str | None = Comment


class RejectIn(Input):
    comment: str | None = Comment


class InputParameterOut(BaseModel):
    name: str
    type: str
    description: str = ""


class InputOut(BaseModel):
    project: str
    pipeline: str
    run: int
    id: str = Field(description="The input step's id (Jenkins capitalises a lower-case first letter)")
    message: str
    ok: str = Field(description="The proceed button's text")
    parameters: list[InputParameterOut]
    submitter: list[str] = Field(description="Users and groups the step names (empty: project operators)")
    started_by: str | None = Field(description="Who started the run")
    since: datetime = Field(description="When the bridge first saw the input waiting")
    state: Literal["waiting", "approved", "rejected", "expired", "gone"]
    decided_by: str | None
    decided_at: datetime | None
    comment: str | None
    approvals: list[str] = Field(description="Who approved so far (distinct users)")
    required: int = Field(description="Approvals needed before the bridge proceeds in Jenkins")
    expires_at: datetime | None = Field(
        description="When the worker rejects it, if the pipeline sets an expiry"
    )
    approvable: bool = Field(description="Whether the caller may approve it now")
    reason: Reason = Field(description="Why (a code: `approvable` is true for the first two)")
    reason_text: str = Field(description="The same, as a sentence for a UI")

    @classmethod
    def of(cls, a: Assessed) -> InputOut:
        p, rules = a.input, a.rules
        expires = None if rules.expiry_hours is None else p.since + timedelta(hours=rules.expiry_hours)
        return cls(
            project=p.project,
            pipeline=p.pipeline,
            run=p.number,
            id=p.input_id,
            message=p.message,
            ok=p.ok,
            parameters=[InputParameterOut.model_validate(x) for x in p.parameters],
            submitter=list(p.submitters),
            started_by=p.started_by,
            since=p.since,
            state=p.state.value,
            decided_by=p.decided_by,
            decided_at=p.decided_at,
            comment=p.comment,
            approvals=list(p.approvals),
            required=rules.required,
            expires_at=expires,
            approvable=a.approvable,
            reason=a.reason,
            reason_text=a.explanation,
        )


class InputList(PageOut):
    items: list[InputOut] = Field(description="Ordered by when the bridge first saw each input, oldest first")


class ApprovalQuery(PageQuery):
    project: str | None = Field(default=None, max_length=63, description="Only this project's inputs")
    approvable: bool | None = Field(default=None, description="Only the inputs the caller may (not) approve")


class ApprovalRulesModel(Input):
    """Who may approve the pipeline's input steps, beyond each step's `submitter` list."""

    separation_of_duties: bool = Field(
        default=False, description="Whoever started a run may not approve its inputs"
    )
    expiry_hours: int | None = Field(
        default=None,
        ge=1,
        le=MAX_EXPIRY_HOURS,
        description="An input waiting longer is rejected by the worker (null: it waits until decided)",
    )
    required: int = Field(
        default=1, ge=1, le=MAX_REQUIRED, description="Distinct approvers before the run proceeds"
    )

    def to_domain(self) -> ApprovalRules:
        return ApprovalRules(self.separation_of_duties, self.expiry_hours, self.required)

    @classmethod
    def of(cls, r: ApprovalRules) -> ApprovalRulesModel:
        return cls(
            separation_of_duties=r.separation_of_duties, expiry_hours=r.expiry_hours, required=r.required
        )


class NotificationIn(Input):
    """The project's approval notification webhook: a signed JSON POST per approval event."""

    url: str = Field(min_length=1, max_length=2048, description="http(s) URL receiving the events")
    secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=256,
        description="HMAC-SHA256 key signing each body (`X-Bridge-Signature-256: sha256=<hex>`); write-only; "
        "left out on an update: unchanged",
    )

    @field_validator("url")
    @classmethod
    def _http(cls, v: str) -> str:
        if not v.startswith(("https://", "http://")):
            raise ValueError("must be an http:// or https:// URL")
        return v


class NotificationOut(BaseModel):
    url: str
    secret_set: bool = Field(description="Whether deliveries are signed (the secret itself is never shown)")
