"""The ways a request proves who it is, as plain classes over ``RequestFacts``.

The web seam (``bridge.api.auth``) copies what it needs from the HTTP request into ``RequestFacts``;
nothing here imports Flask, so each authenticator is tested on plain values. An authenticator returns a
``Principal`` when the request is its kind and valid, ``None`` when the request is not its kind, and
raises ``Unauthenticated`` when the request is its kind but invalid (a wrong proxy token must not fall
through to weaker modes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bridge.errors import Unauthenticated
from bridge.identity.names import is_valid_subject
from bridge.identity.principal import PLATFORM_ADMINS_GROUP, AuthSource, Principal
from bridge.identity.token_store import TokenStore
from bridge.identity.tokens import looks_like_token, same_secret, token_hash

BOOTSTRAP_ADMIN = "bootstrap-admin"


@dataclass(frozen=True)
class RequestFacts:
    """The identity-relevant parts of one request. Secrets are kept out of ``repr``."""

    bearer: str | None = field(default=None, repr=False)
    proxy_token: str | None = field(default=None, repr=False)
    client_cert_cn: str | None = None
    remote_user: str | None = None
    remote_groups: tuple[str, ...] = ()


class Authenticator(Protocol):
    def authenticate(self, facts: RequestFacts) -> Principal | None: ...


class BootstrapTokenAuthenticator:
    """``BRIDGE_ADMIN_TOKEN``: a platform admin. Only its hash is kept in memory."""

    def __init__(self, admin_token: str) -> None:
        self._hash = token_hash(admin_token)

    def authenticate(self, facts: RequestFacts) -> Principal | None:
        if facts.bearer is None or not same_secret(token_hash(facts.bearer), self._hash):
            return None
        return Principal(BOOTSTRAP_ADMIN, frozenset({PLATFORM_ADMINS_GROUP}), AuthSource.BOOTSTRAP)


class ApiTokenAuthenticator:
    """``jbt_`` tokens from the store; revoked, expired and unknown ones are a 401."""

    def __init__(self, store: TokenStore) -> None:
        self._store = store

    def authenticate(self, facts: RequestFacts) -> Principal | None:
        if facts.bearer is None or not looks_like_token(facts.bearer):
            return None
        info = self._store.verify(facts.bearer)
        if info is None:
            raise Unauthenticated("the API token is unknown, expired or revoked")
        return Principal(info.user, info.groups, AuthSource.API_TOKEN, token_id=info.id)


class TrustedProxyAuthenticator:
    """``X-Remote-User``/``X-Remote-Group`` from the console backend, trusted only with its credential.

    The credential is a dedicated token (its own header, so the user's bearer can travel alongside)
    and/or the CN of a client certificate verified by the TLS layer that terminates at the bridge. A
    request carrying user headers without the credential returns ``None``: the headers are ignored (the
    seam also strips them) and the request is judged on its other credentials.
    """

    def __init__(self, *, proxy_token: str | None = None, client_cns: Sequence[str] = ()) -> None:
        self._hash = token_hash(proxy_token) if proxy_token else None
        self._cns = frozenset(client_cns)

    def is_proxy(self, facts: RequestFacts) -> bool:
        if facts.proxy_token is not None:
            if self._hash is None or not same_secret(token_hash(facts.proxy_token), self._hash):
                raise Unauthenticated("the proxy credential is not valid")
            return True
        return facts.client_cert_cn is not None and facts.client_cert_cn in self._cns

    def authenticate(self, facts: RequestFacts) -> Principal | None:
        if not self.is_proxy(facts):
            return None
        if not facts.remote_user:
            raise Unauthenticated("the proxy sent no X-Remote-User")
        groups = [g.strip() for value in facts.remote_groups for g in value.split(",") if g.strip()]
        if not is_valid_subject(facts.remote_user) or not all(is_valid_subject(g) for g in groups):
            raise Unauthenticated("the proxy sent an invalid user or group name")
        return Principal(facts.remote_user, frozenset(groups), AuthSource.PROXY)


class AuthenticatorChain:
    """Tries the proxy first, then each bearer authenticator; no credential at all is a 401."""

    def __init__(self, *, proxy: TrustedProxyAuthenticator | None, bearer: Sequence[Authenticator]) -> None:
        self._proxy = proxy
        self._bearer = tuple(bearer)

    def authenticate(self, facts: RequestFacts) -> Principal:
        if self._proxy is not None:
            principal = self._proxy.authenticate(facts)
            if principal is not None:
                return principal
        elif facts.proxy_token is not None:
            raise Unauthenticated("trusted-proxy authentication is not enabled")
        if facts.bearer is None:
            raise Unauthenticated("send Authorization: Bearer <token>")
        for authenticator in self._bearer:
            principal = authenticator.authenticate(facts)
            if principal is not None:
                return principal
        raise Unauthenticated("the bearer token is not valid")
