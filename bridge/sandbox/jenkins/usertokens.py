"""Per-user API tokens: ``user/ID/descriptorByName/jenkins.security.ApiTokenProperty/…``.

Permission rules of ``ApiTokenProperty.DescriptorImpl`` (Jenkins core):

* ``generateNewToken`` (``hasCurrentUserRightToGenerateNewToken``): the user themselves, or anyone with
  Overall/Administer **only when** the controller runs with
  ``-Djenkins.security.ApiTokenProperty.adminCanGenerateNewTokens=true``; anyone else gets a bare 403.
  Answer: ``{"status":"ok","data":{"tokenUuid","tokenName","tokenValue","expirationDate","aboutToExpire"}}``.
* ``revoke`` (``User.checkPermission(ADMINISTER)`` on the user's own ACL): the user themselves or an
  administrator, whatever the property; 400 without ``tokenUuid``; an unknown uuid is still a 200.

``/user/ID`` of a user Jenkins has no record of is a 404 (``Jenkins.getUser`` does not create users
from a URL). The system property is a sandbox option: ``SandboxJenkins(system_properties={...})``, or
``sandbox.services["system_properties"]`` changed while running. Minted tokens live in memory only.
"""

from __future__ import annotations

import secrets
import uuid

from werkzeug.wrappers import Response

from bridge.sandbox.jenkins import pages
from bridge.sandbox.jenkins.context import RequestContext
from bridge.sandbox.jenkins.errors import AccessDenied, ItemNotFound
from bridge.sandbox.jenkins.model import ADMINISTER, User
from bridge.sandbox.jenkins.routing import RouteTable

ADMIN_CAN_GENERATE = "jenkins.security.ApiTokenProperty.adminCanGenerateNewTokens"
DESCRIPTOR = r"user/(?P<user>[^/]+)/descriptorByName/jenkins\.security\.ApiTokenProperty"
#: ``state.extensions`` key: user id → {token uuid → (name, value)}.
MINTED = "usertokens.minted"


def register(routes: RouteTable) -> None:
    routes.add(DESCRIPTOR + "/generateNewToken", generate, kinds=("root",), methods=("POST",))
    routes.add(DESCRIPTOR + "/revoke", revoke, kinds=("root",), methods=("POST",))


def admin_can_generate(ctx: RequestContext) -> bool:
    """``SystemProperties.getBoolean``: only the text ``true`` (any case) turns it on."""
    properties = ctx.services.get("system_properties") or {}
    return str(properties.get(ADMIN_CAN_GENERATE, "")).strip().lower() == "true"


def _user(ctx: RequestContext, user_id: str) -> User:
    user = ctx.state.user_by_id(user_id)
    if user is None:
        raise ItemNotFound()
    return user


def _same(ctx: RequestContext, user: User) -> bool:
    return ctx.principal.user is not None and ctx.principal.id.lower() == user.id.lower()


def _minted(ctx: RequestContext, user: User) -> dict[str, tuple[str, str]]:
    table: dict[str, dict[str, tuple[str, str]]] = ctx.state.extensions.setdefault(MINTED, {})
    return table.setdefault(user.id, {})


def generate(ctx: RequestContext, groups: dict[str, str]) -> Response:
    with ctx.lock:
        user = _user(ctx, groups["user"])
        trusted_admin = admin_can_generate(ctx) and ctx.principal.has(ADMINISTER)
        if not (trusted_admin or _same(ctx, user)):
            return pages.empty(403)  # HttpResponses.forbidden(): no body, no permission headers
        name = (ctx.param("newTokenName") or "").strip() or "Token created by the sandbox"
        token_uuid = str(uuid.uuid4())
        value = "11" + secrets.token_hex(16)  # ApiTokenStore: version prefix "11" + 32 hex digits
        _minted(ctx, user)[token_uuid] = (name, value)
        user.tokens.append(value)
    data = {
        "tokenUuid": token_uuid,
        "tokenName": name,
        "tokenValue": value,
        "expirationDate": "never",
        "aboutToExpire": False,
    }
    return pages.json_response({"status": "ok", "data": data})


def revoke(ctx: RequestContext, groups: dict[str, str]) -> Response:
    with ctx.lock:
        user = _user(ctx, groups["user"])
        if not (_same(ctx, user) or ctx.principal.has(ADMINISTER)):
            raise AccessDenied(ctx.principal.id, ADMINISTER)
        token_uuid = (ctx.param("tokenUuid") or "").strip()
        if not token_uuid:
            return pages.page("Error", "The tokenUuid cannot be empty", status=400)
        minted = _minted(ctx, user)
        if not minted and not user.tokens:
            message = "The user does not have any ApiToken yet, try generating one before."
            return pages.page("Error", message, status=400)
        found = minted.pop(token_uuid, None)
        if found is not None and found[1] in user.tokens:
            user.tokens.remove(found[1])
    return pages.empty(200)
