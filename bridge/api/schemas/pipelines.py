"""Pipeline bodies and responses: an inline ``jenkinsfile`` or an ``scm`` definition (exactly one)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from bridge.api.schemas.approvals import ApprovalRulesModel
from bridge.api.schemas.common import Description, Input, MetaOut, PageOut, SyncOut, meta_fields
from bridge.api.schemas.targets import TargetModel
from bridge.api.schemas.validation import ValidationOut
from bridge.api.schemas.webhooks import WebhookModel, WebhookOut
from bridge.domain.jenkinsfile_params import conflicts, declared_parameters
from bridge.domain.model import Discarder, Parameter, ParameterType, Pipeline, ScmSource
from bridge.services.scm import shown_url
from bridge.store import Stored

PipelineName = Field(min_length=1, max_length=253, description="DNS-1123 subdomain")
Jenkinsfile = Field(default=None, description="Inline Jenkinsfile; always runs in the Groovy sandbox")


class ScmModel(Input):
    url: str = Field(min_length=1, max_length=2048)
    branch: str = Field(default="main", min_length=1, max_length=255)
    credential: str | None = Field(
        default=None, max_length=63, description="Credential id in the same project"
    )
    script_path: str = Field(default="Jenkinsfile", min_length=1, max_length=1024)

    def to_domain(self) -> ScmSource:
        return ScmSource(
            url=self.url, branch=self.branch, credential=self.credential, script_path=self.script_path
        )


class ParameterModel(Input):
    name: str = Field(min_length=1, max_length=128)
    type: ParameterType = ParameterType.STRING
    default: str | bool | None = Field(
        default=None,
        description="For a password parameter the default is secret and write-only: never returned; "
        "omit it (or send null) on an update to keep the stored one, send an empty string to clear it",
    )
    choices: list[str] = Field(default_factory=list, max_length=1000)
    description: str = Description

    def to_domain(self) -> Parameter:
        return Parameter(
            name=self.name,
            type=self.type,
            default=self.default,
            choices=tuple(self.choices),
            description=self.description,
        )


class ParameterOut(BaseModel):
    name: str
    type: ParameterType
    default: str | bool | None = Field(description="Always null for a password parameter")
    default_set: bool = Field(
        description="Whether a default is stored (a password parameter's default is never returned)"
    )
    choices: list[str]
    description: str

    @classmethod
    def of(cls, x: Parameter) -> ParameterOut:
        return cls(
            name=x.name,
            type=x.type,
            default=None if x.secret else x.default,
            default_set=x.default not in (None, ""),
            choices=list(x.choices),
            description=x.description,
        )


class DiscarderModel(Input):
    days: int | None = Field(default=None, ge=1, le=100_000)
    builds: int | None = Field(default=None, ge=1, le=1_000_000)

    def to_domain(self) -> Discarder:
        return Discarder(days=self.days, builds=self.builds)


class PipelinePut(Input):
    description: str = Description
    jenkinsfile: str | None = Jenkinsfile
    scm: ScmModel | None = None
    parameters: list[ParameterModel] = Field(default_factory=list, max_length=200)
    discarder: DiscarderModel | None = None
    concurrent: bool = True
    cron: str | None = Field(default=None, max_length=4096, description="Jenkins cron spec (H allowed)")
    webhook: WebhookModel | None = Field(
        default=None, description="Start the pipeline on pushes to its repository (see docs: webhooks)"
    )
    targets: list[TargetModel] = Field(
        default_factory=list,
        max_length=100,
        description="Deploy targets (cluster + namespace); preflight: GET …/pipelines/{pipeline}/targets",
    )
    approvals: ApprovalRulesModel = Field(
        default_factory=ApprovalRulesModel,
        description="Who may approve the pipeline's input steps: separation of duties, expiry, required "
        "approvals (see docs: approvals)",
    )

    def changes(self, *, only_set: bool = False) -> dict[str, Any]:
        """Domain field values of this body (only the ones the client sent when ``only_set``)."""
        sent = self.model_fields_set if only_set else set(type(self).model_fields)
        converted: dict[str, Any] = {
            "description": self.description,
            "jenkinsfile": self.jenkinsfile,
            "scm": self.scm.to_domain() if self.scm else None,
            "parameters": tuple(p.to_domain() for p in self.parameters),
            "discarder": self.discarder.to_domain() if self.discarder else None,
            "concurrent": self.concurrent,
            "cron": self.cron,
            "webhook": self.webhook.to_domain() if self.webhook else None,
            "targets": tuple(t.to_domain() for t in self.targets),
            "approvals": self.approvals.to_domain(),
        }
        return {k: v for k, v in converted.items() if k in sent}


class PipelineIn(PipelinePut):
    name: str = PipelineName

    def to_domain(self, project: str) -> Pipeline:
        return Pipeline(project=project, name=self.name, **self.changes())


class PipelinePatch(PipelinePut):
    """Only the fields sent change; switch definitions with ``{"scm": {...}, "jenkinsfile": null}``."""


class PipelineOut(MetaOut):
    project: str
    name: str
    description: str
    jenkinsfile: str | None
    scm: ScmModel | None
    parameters: list[ParameterOut]
    discarder: DiscarderModel | None
    concurrent: bool
    cron: str | None
    webhook: WebhookOut | None = Field(
        description="The push trigger, with the receiver's URL and set-up hints per provider"
    )
    targets: list[TargetModel]
    approvals: ApprovalRulesModel
    sync: SyncOut
    validation: ValidationOut | None = Field(
        description="Jenkins's verdict on the inline Jenkinsfile (null for an SCM pipeline); an invalid or "
        "pending one is not synced"
    )
    jenkinsfile_parameters: list[ParameterOut] = Field(
        default_factory=list,
        description="Parameters the inline Jenkinsfile's `parameters {}` declares; they are rendered into "
        "the job, so they exist before the first run",
    )
    parameter_conflicts: list[str] = Field(
        default_factory=list,
        description="Parameters the Jenkinsfile and the API declare differently (the API's definition is "
        "rendered; the Jenkinsfile's replaces it when a run executes the directive)",
    )

    @classmethod
    def of(cls, s: Stored[Pipeline], webhook_base: str = "") -> PipelineOut:
        p = s.obj
        scm = p.scm
        declared = declared_parameters(p.jenkinsfile).parameters if scm is None else ()
        return cls(
            project=p.project,
            name=p.name,
            description=p.description,
            jenkinsfile=p.jenkinsfile,
            scm=None
            if scm is None
            else ScmModel(
                url=shown_url(scm.url),
                branch=scm.branch,
                credential=scm.credential,
                script_path=scm.script_path,
            ),
            parameters=[ParameterOut.of(x) for x in p.parameters],
            discarder=None
            if p.discarder is None
            else DiscarderModel(days=p.discarder.days, builds=p.discarder.builds),
            concurrent=p.concurrent,
            cron=p.cron,
            webhook=None if p.webhook is None else WebhookOut.of(p.webhook, p.webhook_repo, webhook_base),
            targets=[TargetModel.of(t) for t in p.targets],
            approvals=ApprovalRulesModel.of(p.approvals),
            sync=SyncOut.of(s.sync),
            validation=None if s.validation is None else ValidationOut.of(s.validation),
            jenkinsfile_parameters=[ParameterOut.of(x) for x in declared],
            parameter_conflicts=conflicts(declared, p.parameters),
            **meta_fields(s),  # type: ignore[arg-type]
        )


class PipelineList(PageOut):
    items: list[PipelineOut] = Field(description="Ordered by name")
