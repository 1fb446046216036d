"""The authenticated caller.

A ``Principal`` is what every authenticator produces and what the policy decides on. It carries no
secret: the token that proved it is gone by the time a principal exists, so principals may be logged,
audited and passed to adapters freely.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class AuthSource(enum.StrEnum):
    """How the caller proved who they are (recorded in the audit log)."""

    BOOTSTRAP = "bootstrap"  # the BRIDGE_ADMIN_TOKEN from settings
    API_TOKEN = "api-token"  # a jbt_ token minted by `jenkins-bridge token create`
    PROXY = "proxy"  # X-Remote-User from the trusted front proxy
    TOKEN_REVIEW = "token-review"  # a Kubernetes token checked by TokenReview
    ANONYMOUS = "anonymous"  # public routes only (health, the OpenAPI document)


#: Group every principal of the bootstrap token belongs to; settings may name more admin groups.
PLATFORM_ADMINS_GROUP = "jenkins-bridge:platform-admins"


@dataclass(frozen=True)
class Principal:
    """An authenticated user or service account.

    ``name`` is the user name as the identity source spells it (``alice``,
    ``system:serviceaccount:ci:deployer``); ``groups`` come from the same source and are what project
    roles may be granted to. ``token_id`` names the API token used, when there is one, so an audit entry
    can be traced back to the token to revoke.
    """

    name: str
    groups: frozenset[str] = field(default_factory=frozenset)
    source: AuthSource = AuthSource.API_TOKEN
    token_id: str | None = None

    def in_any(self, groups: frozenset[str]) -> bool:
        return not self.groups.isdisjoint(groups)
