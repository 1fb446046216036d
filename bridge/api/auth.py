"""The single authentication/authorisation seam of the HTTP API.

``registry`` calls ``authenticate`` then ``authorize`` for every route, with the route's declared
permission and its path parameters; no view checks access itself. Who the caller is comes from
``bridge.identity`` (bootstrap token, API tokens, trusted proxy, TokenReview); what they may do from
the one rule table ``bridge.identity.roles.RULES``. ``install`` adds the audit entry for every write
(``bridge.api.auditing``) and the security headers (``bridge.api.hardening``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, Request, Response, current_app, g, request
from pydantic import BaseModel

from bridge.api import access, auditing, hardening
from bridge.api.body import parsed_body
from bridge.identity.principal import AuthSource, Principal
from bridge.identity.roles import RULES, RuleScope

if TYPE_CHECKING:
    from bridge.bootstrap import Container

#: Permission of routes anyone may call without credentials (health, the OpenAPI document).
PUBLIC = "public"
#: Permissions that place a project into the workspace named in the body ("workspace").
PLACES_PROJECT = frozenset({"project.create", "project.write"})


def _is_public(permission: str) -> bool:
    """No bearer token: public routes, and routes whose view verifies a signature instead."""
    rule = RULES.get(permission)
    return rule is not None and rule.scope in (RuleScope.PUBLIC, RuleScope.SIGNATURE)


def is_signed(permission: str) -> bool:
    rule = RULES.get(permission)
    return rule is not None and rule.scope is RuleScope.SIGNATURE


def authenticate(req: Request, container: Container, permission: str) -> Principal:
    """The caller, or ``Unauthenticated`` (401) when no valid credential is presented."""
    g.permission = permission
    if _is_public(permission):
        access.strip_untrusted(req)
        return Principal("webhook" if is_signed(permission) else "anonymous", source=AuthSource.ANONYMOUS)
    return access.authenticate(container.identity, req)


def _body_field(body: type[BaseModel] | None, name: str) -> str | None:
    """A field of the request body as the view will apply it (``bridge.api.body``): parsed and
    validated here when authorisation needs it, so a body that cannot be read is refused (415/400)."""
    if body is None:
        return None
    value = getattr(parsed_body(body), name, None)
    return value if isinstance(value, str) and value else None


def authorize(
    container: Container,
    principal: Principal,
    permission: str,
    params: dict[str, str],
    *,
    body: type[BaseModel] | None = None,
) -> None:
    """Raise ``NotFound``/``Forbidden`` unless ``principal`` holds ``permission`` for this request.

    Project routes are checked on ``params["project"]``, workspace routes on ``params["workspace"]``;
    creating a project, or moving one, also needs admin on the workspace named in the body (``body``
    is the route's request model: the check reads the same validated body the view applies).
    """
    if _is_public(permission):
        return
    identity = container.identity
    project = params.get("project")
    target = _body_field(body, "workspace") if permission in PLACES_PROJECT else None
    in_path = "workspace" in params
    workspace = params.get("workspace") or (target if permission == "project.create" else None)
    grants = access.authorize(
        identity,
        principal,
        permission,
        project=project,
        workspace=workspace,
        workspace_in_path=in_path,
        audit_project=_body_field(body, "name") if permission == "project.create" else None,
    )
    if (
        target is not None
        and permission != "project.create"
        and target != access.workspace_of(identity)(project or "")
    ):
        access.check_also(grants, "project.create", workspace=target, workspace_in_path=False)  # a move


def install(app: Flask) -> None:
    """Audit every write and add the security headers; once per app."""
    if app.extensions.get("bridge.auth.installed"):
        return
    app.extensions["bridge.auth.installed"] = True
    hardening.install(app)
    app.extensions[auditing.UNAUTHENTICATED] = auditing.UnauthenticatedWrites()

    @app.after_request
    def _audit(response: Response) -> Response:
        if request.path.startswith("/api/") and request.url_rule is not None:
            container: Container = current_app.extensions["bridge"]
            counter = current_app.extensions[auditing.UNAUTHENTICATED]
            auditing.audit(container.identity.audit, counter, request, response)
        return response
