"""Builds the identity services from settings: the only place that chooses authenticators.

Called by the application's composition root with the store's engine. TokenReview needs a Kubernetes
client; tests pass a reviewer, production builds one from ``auth.token_review_kubeconfig`` (or the pod's
service account).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, select

from bridge.audit.log import AuditLog
from bridge.identity.authenticators import (
    ApiTokenAuthenticator,
    Authenticator,
    AuthenticatorChain,
    BootstrapTokenAuthenticator,
    TrustedProxyAuthenticator,
)
from bridge.identity.bindings import BindingStore
from bridge.identity.policy import Policy
from bridge.identity.principal import AuthSource
from bridge.identity.tenancy import ReservedNames
from bridge.identity.token_review import TokenReviewAuthenticator, TokenReviewer
from bridge.identity.token_store import TokenStore
from bridge.settings import AuthSettings, JenkinsSettings, Settings, reveal
from bridge.store.tables import projects


@dataclass(frozen=True)
class Identity:
    """Everything the API needs to know who calls and what they may do."""

    authenticator: AuthenticatorChain
    policy: Policy
    tokens: TokenStore
    bindings: BindingStore
    audit: AuditLog
    engine: Engine

    def workspace_of(self, project: str) -> str | None:
        """The project's workspace, or None when there is no such project."""
        with self.engine.connect() as conn:
            row = conn.execute(select(projects.c.workspace).where(projects.c.name == project)).first()
        return None if row is None else str(row.workspace)


def reserved_names(jenkins: JenkinsSettings) -> ReservedNames:
    """The Jenkins user ids no bridge name may take (``identity/tenancy.py``)."""
    return ReservedNames.of(
        prefix=jenkins.project_identity_prefix,
        service_account=jenkins.user,
        reserved=list(jenkins.reserved_users),
    )


def _reviewer(auth: AuthSettings) -> TokenReviewer:
    from bridge.adapters.kube.token_review import KubeTokenReviewer, host_api_client

    return KubeTokenReviewer(host_api_client(auth.token_review_kubeconfig))


def build_identity(settings: Settings, engine: Engine, *, reviewer: TokenReviewer | None = None) -> Identity:
    auth = settings.auth
    tokens = TokenStore(engine)
    bearer: list[Authenticator] = []
    admin_token = reveal(settings.admin_token)
    if admin_token:
        bearer.append(BootstrapTokenAuthenticator(admin_token))
    if auth.api_tokens:
        bearer.append(ApiTokenAuthenticator(tokens))
    if auth.token_review:
        bearer.append(
            TokenReviewAuthenticator(
                reviewer or _reviewer(auth),
                ttl=timedelta(seconds=auth.token_review_ttl),
                audiences=list(auth.token_review_audiences),
            )
        )
    cns = list(auth.proxy_client_cns)
    proxy_token = reveal(auth.proxy_token)
    proxy = TrustedProxyAuthenticator(proxy_token=proxy_token, client_cns=cns)
    bindings = BindingStore(engine, reserved=reserved_names(settings.jenkins))
    return Identity(
        authenticator=AuthenticatorChain(proxy=proxy if proxy_token or cns else None, bearer=bearer),
        policy=Policy(
            bindings,
            admin_users=auth.admin_users,
            admin_groups=auth.admin_groups,
            platform_admin_group=auth.platform_admin_group.strip(),
            admin_sources=[AuthSource(x) for x in auth.admin_sources],
        ),
        tokens=tokens,
        bindings=bindings,
        audit=AuditLog(engine),
        engine=engine,
    )
