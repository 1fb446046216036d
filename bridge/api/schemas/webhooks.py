"""Push triggers on pipelines, the receiver's answers, and the deliveries list."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from bridge.api.schemas.common import Input, PageOut
from bridge.domain.model import RefFilter, WebhookTrigger
from bridge.services.scm import shown_url
from bridge.store.webhooks import DeliveryRow


class RefFilterModel(Input):
    include: list[str] = Field(default_factory=list, max_length=50)
    exclude: list[str] = Field(default_factory=list, max_length=50)

    def to_domain(self) -> RefFilter:
        return RefFilter(include=tuple(self.include), exclude=tuple(self.exclude))


def _every_branch() -> RefFilterModel:
    return RefFilterModel(include=["*"])


class WebhookModel(Input):
    repo_url: str | None = Field(
        default=None,
        max_length=2048,
        description="Repository whose pushes start the pipeline; default: the pipeline's SCM URL. "
        "Matched after normalisation (scheme, user@host:path form, .git, trailing slash, host case)",
    )
    branches: RefFilterModel = Field(
        default_factory=_every_branch, description="Branch name globs (default: every branch)"
    )
    tags: RefFilterModel = Field(default_factory=RefFilterModel, description="Tag name globs (default: none)")
    branch_parameter: str = Field(
        default="BRANCH_NAME",
        max_length=128,
        description="Build parameter that receives the pushed branch or tag name ('' for none)",
    )
    parameters: dict[str, str] = Field(
        default_factory=dict, max_length=50, description="Fixed build parameters"
    )
    secret: str | None = Field(
        default=None,
        max_length=256,
        description="Secret the provider signs deliveries with (GitLab: the secret token). Write-only; "
        "omit it on an update to keep the stored one, send '' to clear it",
    )
    allow_unsigned: bool = Field(
        default=False,
        description="UNSAFE: accept deliveries without a signature (anyone who can reach the receiver "
        "can then start this pipeline)",
    )

    poll: bool = Field(
        default=False,
        description="Also list the repository's branches and tags every BRIDGE_WEBHOOKS_POLL_REFS_INTERVAL "
        "seconds (git ls-remote with the pipeline's credential) and run new commits no delivery announced",
    )

    def to_domain(self) -> WebhookTrigger:
        return WebhookTrigger(
            repo_url=self.repo_url,
            branches=self.branches.to_domain(),
            tags=self.tags.to_domain(),
            branch_parameter=self.branch_parameter,
            parameters=tuple(sorted(self.parameters.items())),
            secret=self.secret,
            allow_unsigned=self.allow_unsigned,
            poll=self.poll,
        )


class ProviderHint(BaseModel):
    url: str
    hint: str


HINTS = {
    "github": "Settings → Webhooks → Add webhook: this Payload URL, content type application/json, the "
    "pipeline's secret, 'Just the push event'",
    "gitlab": "Settings → Webhooks: this URL, the pipeline's secret as Secret token, trigger 'Push events' "
    "and 'Tag push events'",
    "gitea": "Settings → Webhooks → Add webhook → Gitea (Forgejo, Gogs alike): this target URL, POST, "
    "application/json, the pipeline's secret, 'Push events'",
    "bitbucket": "Repository settings → Webhooks (Cloud) or Webhooks (Data Center): this URL, the "
    "pipeline's secret, event 'Repository push' / 'Repository: Push'",
}


class WebhookOut(BaseModel):
    repo_url: str | None = Field(description="As configured (null: the SCM URL is used)")
    watching: str | None = Field(description="The repository whose pushes start the pipeline")
    branches: RefFilterModel
    tags: RefFilterModel
    branch_parameter: str
    parameters: dict[str, str]
    secret_set: bool = Field(description="Whether a secret is stored (it is never returned)")
    allow_unsigned: bool
    poll: bool
    providers: dict[str, ProviderHint] = Field(description="Receiver URL and set-up hint per provider")

    @classmethod
    def of(cls, w: WebhookTrigger, watching: str | None, base: str) -> WebhookOut:
        root = base.rstrip("/")
        return cls(
            repo_url=None if w.repo_url is None else shown_url(w.repo_url),
            watching=None if watching is None else shown_url(watching),
            branches=RefFilterModel(include=list(w.branches.include), exclude=list(w.branches.exclude)),
            tags=RefFilterModel(include=list(w.tags.include), exclude=list(w.tags.exclude)),
            branch_parameter=w.branch_parameter,
            parameters=dict(w.parameters),
            secret_set=bool(w.secret),
            allow_unsigned=w.allow_unsigned,
            poll=w.poll,
            providers={k: ProviderHint(url=f"{root}/webhooks/{k}", hint=v) for k, v in HINTS.items()},
        )


class ReceiptOut(BaseModel):
    provider: str
    event: str
    delivery: str = Field(description="The provider's delivery id (or one the bridge made up)")
    ping: bool
    pipelines: int = Field(description="Watching pipelines the delivery was accepted for")
    queued: int = Field(description="Runs queued for the worker")
    duplicate: bool = Field(description="Received before: nothing new was stored")


class DeliveryOut(BaseModel):
    id: int
    provider: str
    delivery: str
    event: str
    pipeline: str
    repo_url: str
    ref: str
    commit: str
    pusher: str
    signed: bool
    status: str = Field(description="queued, started, failed or ignored")
    attempts: int
    error: str | None
    parameters: dict[str, str]
    runs: list[int] = Field(description="Jenkins queue items of the runs this delivery started")
    received_at: datetime
    next_attempt_at: datetime | None

    @classmethod
    def of(cls, r: DeliveryRow) -> DeliveryOut:
        return cls(
            id=r.id,
            provider=r.provider,
            delivery=r.delivery,
            event=r.event,
            pipeline=r.pipeline,
            repo_url=shown_url(r.repo_url) if r.repo_url else "",
            ref=r.ref,
            commit=r.commit,
            pusher=r.pusher,
            signed=r.signed,
            status=r.status,
            attempts=r.attempts,
            error=r.error,
            parameters=r.parameters,
            runs=[] if r.queue_id is None else [r.queue_id],
            received_at=r.received_at,
            next_attempt_at=r.next_attempt_at,
        )


class DeliveryList(PageOut):
    items: list[DeliveryOut] = Field(description="Newest first")
