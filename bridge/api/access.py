"""The web side of identity: who is calling (authenticate), may they (authorize), and the audit entry.

The route registry gives every route a permission name; its request handler (``registry._handler``)
calls ``authenticate`` and ``authorize`` with it before the view runs; the audit entries are
``bridge.api.auditing``'s. Proxy
headers (``X-Remote-User``, ``X-Remote-Group``) are removed from the WSGI environ of every request
that was not authenticated as the trusted proxy, and the proxy credential header always is, so no
later code can read a forged identity or the credential.
"""

from __future__ import annotations

import re
import secrets

from cryptography import x509
from cryptography.x509.oid import NameOID
from flask import Request, g

from bridge.errors import Forbidden, NotFound
from bridge.identity.attribution import Actor
from bridge.identity.authenticators import RequestFacts
from bridge.identity.policy import Grants, WorkspaceOf
from bridge.identity.principal import AuthSource, Principal
from bridge.identity.wiring import Identity

PROXY_TOKEN_HEADER = "X-Bridge-Proxy-Token"
REMOTE_USER_HEADER = "X-Remote-User"
REMOTE_GROUP_HEADER = "X-Remote-Group"
REQUEST_ID_HEADER = "X-Request-Id"
_PROXY_ENVIRON = ("HTTP_X_REMOTE_USER", "HTTP_X_REMOTE_GROUP")
_REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ANONYMOUS = "anonymous"


def client_cert_cn(environ: dict[str, object]) -> str | None:
    """CN of the client certificate the TLS layer verified (cheroot and mod_wsgi put its PEM here)."""
    pem = environ.get("SSL_CLIENT_CERT")
    if not isinstance(pem, str) or not pem:
        return None
    try:
        names = x509.load_pem_x509_certificate(pem.encode("ascii")).subject.get_attributes_for_oid(
            NameOID.COMMON_NAME
        )
    except ValueError:
        return None
    return str(names[0].value) if names else None


def request_facts(request: Request) -> RequestFacts:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    bearer = value.strip() if scheme.lower() == "bearer" and value.strip() else None
    return RequestFacts(
        bearer=bearer,
        proxy_token=request.headers.get(PROXY_TOKEN_HEADER) or None,
        client_cert_cn=client_cert_cn(request.environ),
        remote_user=request.headers.get(REMOTE_USER_HEADER) or None,
        remote_groups=tuple(request.headers.getlist(REMOTE_GROUP_HEADER)),
    )


def strip_untrusted(request: Request) -> None:
    """For routes that authenticate nobody: no proxy identity or credential reaches them either."""
    _strip(request, keep_proxy_headers=False)


def _strip(request: Request, *, keep_proxy_headers: bool) -> None:
    environ = request.environ
    environ.pop("HTTP_X_BRIDGE_PROXY_TOKEN", None)
    if not keep_proxy_headers:
        for key in _PROXY_ENVIRON:
            environ.pop(key, None)
    # request.headers is a live view of the environ (EnvironHeaders), so the headers are gone too.


def request_id(request: Request) -> str:
    """The id of this request: the caller's ``X-Request-Id`` when well-formed, else a fresh one."""
    existing = getattr(g, "request_id", None)
    if isinstance(existing, str) and existing:
        return existing
    g.request_id = given_or_new_request_id(request.headers.get(REQUEST_ID_HEADER, ""))
    return str(g.request_id)


def given_or_new_request_id(given: str) -> str:
    """The caller's id when well-formed (it reaches logs and responses), else a fresh one."""
    return given if _REQUEST_ID_RE.fullmatch(given) else secrets.token_hex(16)


def authenticate(identity: Identity, request: Request) -> Principal:
    """The caller, or ``Unauthenticated``; strips proxy headers it did not trust."""
    facts = request_facts(request)
    try:
        principal = identity.authenticator.authenticate(facts)
    except Exception:
        _strip(request, keep_proxy_headers=False)
        raise
    _strip(request, keep_proxy_headers=principal.source is AuthSource.PROXY)
    g.principal = principal
    return principal


def workspace_of(identity: Identity) -> WorkspaceOf:
    """``identity.workspace_of`` remembered for this request, and answered from the grants (which
    read every bound project's workspace) when they know the project."""
    known: dict[str, str | None] | None = getattr(g, "workspace_of", None)
    if known is None:
        known = g.workspace_of = {}

    def lookup(project: str) -> str | None:
        grants = getattr(g, "grants", None)
        if isinstance(grants, Grants) and project in grants.project_homes:
            return grants.project_homes[project]
        if project not in known:
            known[project] = identity.workspace_of(project)
        return known[project]

    return lookup


def _grants(identity: Identity, principal: Principal) -> Grants:
    """The caller's grants, read once per request."""
    cached = getattr(g, "grants", None)
    if isinstance(cached, Grants) and cached.principal == principal:
        return cached
    return identity.policy.grants(principal, workspace_of=workspace_of(identity))


def authorize(
    identity: Identity,
    principal: Principal,
    permission: str,
    *,
    project: str | None = None,
    workspace: str | None = None,
    workspace_in_path: bool = True,
    audit_project: str | None = None,
) -> Grants:
    """Check the route's permission (``NotFound``/``Forbidden`` when refused); grants are kept in ``g``."""
    grants = _grants(identity, principal)
    g.grants = grants
    g.permission = permission
    g.audit_project = audit_project or project
    try:
        grants.check(
            permission,
            project=project,
            workspace=workspace,
            workspace_of=workspace_of(identity),
            workspace_in_path=workspace_in_path,
        )
    except (NotFound, Forbidden):
        g.access_denied = True
        raise
    return grants


def check_also(grants: Grants, permission: str, *, workspace: str, workspace_in_path: bool) -> None:
    """A second permission the same request needs (recorded as denied like the first)."""
    try:
        grants.check(permission, workspace=workspace, workspace_in_path=workspace_in_path)
    except (NotFound, Forbidden):
        g.access_denied = True
        raise


def current_actor(request: Request) -> Actor:
    """The caller as the Jenkins adapter wants it (run and approve methods take an ``Actor``)."""
    principal = getattr(g, "principal", None)
    if not isinstance(principal, Principal):
        raise RuntimeError("no principal: the route did not go through the access check")
    return Actor.of(principal, request_id=request_id(request))


def current_grants() -> Grants:
    """The caller's grants, for handlers that filter listings."""
    grants = getattr(g, "grants", None)
    if not isinstance(grants, Grants):
        raise RuntimeError("no grants: the route did not go through the access check")
    return grants
