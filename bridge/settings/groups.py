"""The settings groups: one frozen pydantic model per concern, each field with its type and default.

A field's environment name is ``BRIDGE_`` + the upper-snake group and field
(``reconcile.resync_interval`` → ``BRIDGE_RECONCILE_RESYNC_INTERVAL``); its YAML key is the same path,
nested (``reconcile: {resync_interval: 60}``). Types say how a value is read: ``SecretStr`` for secrets
(never shown by ``repr``, masked by ``Settings.masked``), ``UrlWithPassword`` for URLs whose password is
masked, ``Names`` for lists (YAML lists, or comma-separated text in the environment), ``Literal`` for
choices, ``str | None`` when empty means unset.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, field_validator
from pydantic.fields import FieldInfo

from bridge.settings.masking import mask_url_password

KubeconfigMode = Literal["file", "kubeconfig-plugin", "secret-text"]
AttributionMode = Literal["parameter", "user-token"]
LogFormat = Literal["plain", "json"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class UrlPassword:
    """Marks a URL setting whose ``user:password@`` password is masked like a secret."""


def _names(value: Any) -> Any:
    """A list from YAML as it is; comma-separated text (the environment) split, blanks dropped."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


UrlWithPassword = Annotated[str, UrlPassword()]
Names = Annotated[tuple[str, ...], BeforeValidator(_names)]


def reveal(secret: SecretStr | None) -> str | None:
    """The value of a secret setting where it must be used (``None`` or empty: unset)."""
    return secret.get_secret_value() or None if secret is not None else None


def is_url_with_password(info: FieldInfo) -> bool:
    return any(isinstance(m, UrlPassword) for m in info.metadata)


class Group(BaseModel):
    """Base of every settings model: frozen, unknown keys refused, empty text means unset for optionals."""

    model_config = ConfigDict(frozen=True, extra="forbid", coerce_numbers_to_str=True)

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any, info: Any) -> Any:
        field = cls.model_fields.get(info.field_name)
        if value == "" and field is not None and not field.is_required() and field.default is None:
            return None
        return value

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            info = type(self).model_fields.get(name or "")
            if info is not None and is_url_with_password(info) and isinstance(value, str):
                value = mask_url_password(value)
            yield name, value


class JenkinsSettings(Group):
    """The default Jenkins the bridge provisions into."""

    #: May carry ``user:password@``; the password is masked like any secret.
    url: UrlWithPassword = "http://127.0.0.1:8080/"
    user: str | None = None
    #: API token of ``user``.
    token: SecretStr | None = None
    #: Seconds per HTTP request.
    timeout: float = 30.0
    #: Bounded retries for retryable failures (connection errors, 429, 5xx).
    retries: int = 3
    verify_tls: bool = True
    #: How ``kubeconfig`` credentials are stored: a secret file (default), kubernetes-cd's
    #: KubeconfigCredentials, or secret text.
    kubeconfig_credential_mode: KubeconfigMode = "file"
    #: How runs and approvals carry the real user (docs/security.md §5): a ``BRIDGE_REQUESTED_BY``
    #: parameter and bridge-side submitter checks, or per-user API tokens minted by ``user``.
    attribution: AttributionMode = "parameter"
    #: Jenkins user id of each project's build identity is this prefix + the project name.
    project_identity_prefix: str = "jb-project-"
    #: Jenkins user ids no bridge user or binding may take (the Jenkins admin's).
    reserved_users: Names = ("admin",)
    #: Accept plain ``http://`` SCM URLs for pipelines (code and credentials then travel unencrypted).
    allow_http_scm: bool = False


class ReconcileSettings(Group):
    #: Seconds between full passes over every project.
    resync_interval: float = 300.0
    #: Seconds between unconditional re-pushes of credential values (Jenkins redacts them, so drift
    #: in secret values cannot be observed).
    secret_repush_interval: float = 3600.0
    #: Seconds between polls of the dirty-key table (a write through this process's API wakes the
    #: worker at once; a worker in another process sees it at its next poll).
    poll_interval: float = 1.0
    #: Seconds a run's status and stage graph read from Jenkins is served to every reader (one Jenkins
    #: request per run and resource per interval, however many clients poll).
    run_cache_ttl: float = 1.0
    #: Seconds between the worker's refreshes of an active run: the first, and the most it backs off to
    #: while nothing changes.
    run_refresh_min: float = 2.0
    run_refresh_max: float = 30.0
    #: Seconds between looks for runs started inside Jenkins (cron, replay, UI): one request per project.
    run_discover_interval: float = 10.0
    #: Projects reconciled at the same time per Jenkins controller (a bounded pool; each project's
    #: folder still goes before its contents).
    concurrency: int = Field(default=4, ge=1, le=64)
    #: Seconds before the first retry of a project whose pass failed; doubled (with jitter) after each
    #: further failure, up to ``backoff_max``. A ``Retry-After`` from Jenkins is honoured.
    backoff_initial: float = Field(default=2.0, gt=0)
    backoff_max: float = Field(default=300.0, gt=0)
    #: Several ``worker`` processes share the Jenkins controllers (PostgreSQL only): a lease per
    #: controller in the store, so each controller is reconciled by exactly one worker at a time.
    #: Off: one worker per database (the scheduler lock), as on SQLite.
    leases: bool = False
    #: Seconds a controller's lease lasts without renewal: a dead worker's controllers are taken
    #: over within ``lease_ttl + lease_renew``. Keep it above the longest pass of one controller.
    lease_ttl: float = Field(default=30.0, gt=0)
    #: Seconds between renewals of the leases held (and looks for controllers to take or hand over).
    lease_renew: float = Field(default=5.0, gt=0)


class WebhookSettings(Group):
    """The push-webhook receiver (``/webhooks/*``) and the worker job that turns deliveries into runs."""

    #: Largest delivery accepted (GitHub and GitLab send at most 25 MB; larger ones get 413).
    max_body_bytes: int = 2 * 1024 * 1024
    #: Seconds a delivery keeps being retried while Jenkins is down or refuses it; then ``failed``.
    max_age: float = 86400.0
    #: Seconds before the first retry; doubled each attempt up to ``retry_max``.
    retry_base: float = 2.0
    retry_max: float = 300.0
    #: Seconds between the worker's looks for deliveries to run.
    poll_interval: float = 1.0
    #: Seconds between ``git ls-remote`` passes over the pipelines whose trigger sets ``poll``.
    poll_refs_interval: float = 300.0
    #: Deliveries accepted per client address per minute (0: unlimited); more get 429.
    rate_limit: int = 600
    #: Base URL providers reach the receiver at (shown on pipelines); empty: the request's own.
    public_url: str = ""


class ApiSettings(Group):
    #: Largest request body accepted; larger ones get 413.
    max_body_bytes: int = 1024 * 1024
    #: PEM certificate chain and key: ``serve`` then terminates TLS itself.
    tls_cert: str = ""
    tls_key: str = ""
    #: PEM CA bundle: with TLS on, clients may present certificates signed by it (their CN is what
    #: ``BRIDGE_AUTH_PROXY_CLIENT_CNS`` matches); without one, no client certificate is asked for.
    tls_client_ca: str = ""
    #: Reverse proxies in front of the bridge whose ``X-Forwarded-For``/``X-Forwarded-Proto`` are
    #: believed (0: none, the client address is the peer's); each proxy must append, not pass through.
    trusted_proxy_hops: int = 0
    #: Seconds ``serve`` waits on SIGTERM for requests in flight before it stops (keep it below the
    #: orchestrator's kill deadline: Kubernetes' ``terminationGracePeriodSeconds``, 30 by default).
    shutdown_grace: Annotated[float, Field(ge=0)] = 20.0
    #: Long-lived streams (log SSE) served at once, on threads of their own beside the request threads;
    #: one more is answered 503 with ``Retry-After``.
    max_streams: int = Field(default=64, ge=1, le=1024)
    #: Seconds between reads of a running build's log (one read per build, whatever the readers).
    log_poll_interval: float = Field(default=1.0, gt=0, le=60)
    #: Seconds between SSE heartbeats (comments that keep proxies from closing an idle stream).
    stream_heartbeat: float = Field(default=15.0, gt=0, le=300)


class AuthSettings(Group):
    """How callers authenticate beyond the bootstrap admin token (see docs/security.md)."""

    #: Accept ``jbt_`` API tokens minted by ``jenkins-bridge token create``.
    api_tokens: bool = True
    #: Credential of the trusted front proxy (sent in ``X-Bridge-Proxy-Token``); enables proxy mode.
    proxy_token: SecretStr | None = None
    #: Client-certificate CNs also accepted as the proxy (TLS terminated by the bridge).
    proxy_client_cns: Names = ()
    #: Validate other bearer tokens with the host cluster's TokenReview API.
    token_review: bool = False
    #: Seconds a TokenReview answer is cached.
    token_review_ttl: float = 10.0
    #: Audiences the token must be issued for (empty: the apiserver's own).
    token_review_audiences: Names = ()
    #: Kubeconfig file for TokenReview; empty means the in-cluster service account.
    token_review_kubeconfig: str = ""
    #: Users and groups that are platform admins (besides ``platform_admin_group``).
    admin_users: Names = ()
    admin_groups: Names = ()
    #: The group whose members are platform admins.
    platform_admin_group: str = "jenkins-bridge:platform-admins"
    #: Identity sources (``api-token``, ``proxy``, ``token-review``) whose users and groups may make a
    #: platform admin; the bootstrap token always is one.
    admin_sources: Names = ("api-token", "proxy")


class LogSettings(Group):
    format: LogFormat = "plain"
    level: Annotated[LogLevel, BeforeValidator(_upper)] = "INFO"
    #: One line per API request (method, route, status, duration, user) on the ``bridge.access`` logger.
    requests: bool = True
    #: Seconds between the worker's summary line (passes, writes, errors); 0: none. Passes that did
    #: nothing are never logged.
    worker_summary_interval: float = 3600.0


class MetricsSettings(Group):
    #: Serve ``/metrics`` also on this port, unauthenticated, on its own listener (0: no listener; the
    #: API's ``/metrics`` is for platform admins). The way to scrape a ``worker``, which has no API.
    port: Annotated[int, Field(ge=0, le=65535)] = 0
    #: Address of that listener.
    host: str = "127.0.0.1"
