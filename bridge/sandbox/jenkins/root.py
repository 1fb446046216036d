"""Root-level security endpoints: ``crumbIssuer``, ``whoAmI``, ``me`` and the login page."""

from __future__ import annotations

import re

from werkzeug.wrappers import Response

from bridge.sandbox.jenkins import acl, pages, persistence
from bridge.sandbox.jenkins.context import RequestContext
from bridge.sandbox.jenkins.credtypes import SecretCipher
from bridge.sandbox.jenkins.errors import ItemNotFound
from bridge.sandbox.jenkins.export import Bean, export, pruner_from
from bridge.sandbox.jenkins.model import ADMINISTER, DEFAULT_USER_PERMISSIONS, READ, SandboxState, User
from bridge.sandbox.jenkins.routing import RouteTable
from bridge.sandbox.jenkins.security import CRUMB_FIELD, Sessions


def register(routes: RouteTable) -> None:
    routes.add("crumbIssuer/api/json", crumb_issuer, kinds=("root",))
    routes.add("whoAmI/api/json", who_am_i, kinds=("root",), anonymous=True)
    routes.add("whoAmI", who_am_i_page, kinds=("root",), anonymous=True)
    routes.add("(?:me|user/(?P<user>[^/]+))/api/json", user_json, kinds=("root",))
    routes.add("(?:login|loginError|logout|oops|error|404)", login_page, kinds=("root",), anonymous=True)
    routes.add(
        "securityRealm/createAccountByAdmin", create_account_by_admin, kinds=("root",), methods=("POST",)
    )
    routes.add("securityRealm/?", security_realm_page, kinds=("root",))


ID_REGEX = re.compile(r"[\w-]+")  # HudsonPrivateSecurityRealm.DEFAULT_ID_REGEX
PROHIBITED = ("anonymous", "system", "unknown")  # User.isIdOrFullnameAllowed (case-insensitive)
CREATED = "jenkins_users.created"  # state.extensions key: ids created through the realm, in order
REALM_SECTION = "realm.users"  # persisted with state_dir, as Jenkins keeps users/<id>/config.xml


def _flat_permissions(state: SandboxState) -> frozenset[str]:
    """Without a JCasC file users get the sandbox's default set; with one the matrix decides."""
    return DEFAULT_USER_PERMISSIONS if acl.strategy(state).kind == "legacy" else frozenset()


def _dump_realm(state: SandboxState) -> list[dict[str, str]]:
    cipher = SecretCipher(state.instance_salt)
    out = []
    for user_id in state.extensions.get(CREATED, []):
        user = state.users.get(user_id)
        if user is not None and user.password is not None:
            out.append(
                {"id": user.id, "full_name": user.full_name, "password": cipher.encrypt(user.password)}
            )
    return out


def _load_realm(state: SandboxState, data: list[dict[str, str]]) -> None:
    cipher = SecretCipher(state.instance_salt)
    for record in data:
        password = cipher.reveal(record["password"])
        state.users[record["id"]] = User(
            id=record["id"],
            password=password,
            full_name=record["full_name"],
            permissions=_flat_permissions(state),
        )
        state.extensions.setdefault(CREATED, []).append(record["id"])


persistence.register_section(REALM_SECTION, _dump_realm, _load_realm)


def create_account_by_admin(ctx: RequestContext, groups: dict[str, str]) -> Response:
    """``HudsonPrivateSecurityRealm.doCreateAccountByAdmin``: Overall/Administer; form fields
    ``username``, ``password1``, ``password2``, ``fullname``, ``email``. Success is a 302 to ``.`` (the
    user list); a form error re-renders the form (200, errors in the page), as the realm does."""
    if not ctx.services.get("user_database", True):
        raise ItemNotFound()  # another security realm (LDAP, OIDC...): the URL does not exist
    ctx.require(ADMINISTER)
    form = ctx.request.form
    username = form.get("username") or ""
    password1 = form.get("password1")
    password2 = form.get("password2")
    fullname = form.get("fullname") or username
    email = form.get("email")
    errors: list[str] = []
    with ctx.lock:
        if not username:
            errors.append("User name is required")
        elif not ID_REGEX.fullmatch(username):
            errors.append("User name must only contain alphanumeric characters, underscore and dash")
        elif ctx.state.user_by_id(username) is not None:
            errors.append("User name is already taken")
        if password1 is not None and password1 != password2:
            errors.append("Password didn't match")
        if not password1:
            errors.append("Password is required")
        elif len(password1.encode()) > 72:
            errors.append("Password cannot be longer than 72 characters.")
        if email is None or "@" not in email:  # the mailer plugin is installed
            errors.append("Invalid e-mail address")
        if username.lower() in PROHIBITED:
            errors.append(f'"{username}" is prohibited as a username for security reasons.')
        if fullname.lower() in PROHIBITED:
            errors.append(f'"{fullname}" is prohibited as a full name for security reasons.')
        if errors:
            return pages.page("Create User", "; ".join(errors))
        ctx.state.users[username] = User(
            id=username, password=password1, full_name=fullname, permissions=_flat_permissions(ctx.state)
        )
        ctx.state.extensions.setdefault(CREATED, []).append(username)
    return pages.redirect(ctx.absolute("securityRealm/"))


def security_realm_page(ctx: RequestContext, groups: dict[str, str]) -> Response:
    ctx.require(ADMINISTER)
    return pages.page("Users")


def crumb_issuer(ctx: RequestContext, groups: dict[str, str]) -> Response:
    """``DefaultCrumbIssuer``: the crumb is bound to the session, which this request opens if needed."""
    ctx.require(READ)
    sessions: Sessions = ctx.services["sessions"]
    sid, is_new = sessions.open(ctx.request)
    bean = Bean("hudson.security.csrf.DefaultCrumbIssuer")
    bean.add("crumb", sessions.crumb(ctx.principal, sid))
    bean.add("crumbRequestField", CRUMB_FIELD)
    response = pages.json_response(export(bean, pruner_from(ctx.request.args)))
    if is_new:
        sessions.set_cookie(response, sid, ctx.context_path)
    return response


def who_am_i(ctx: RequestContext, groups: dict[str, str]) -> Response:
    p = ctx.principal
    bean = Bean("hudson.security.WhoAmI")
    bean.add("anonymous", p.is_anonymous)
    bean.add("authenticated", True)
    bean.add("authorities", p.authorities())
    bean.add("name", p.id)
    return pages.json_response(export(bean, pruner_from(ctx.request.args)))


def who_am_i_page(ctx: RequestContext, groups: dict[str, str]) -> Response:
    return pages.page("Who Am I?", ctx.principal.id)


def user_json(ctx: RequestContext, groups: dict[str, str]) -> Response:
    """``/me`` (python-jenkins ``get_whoami``) and ``/user/ID``: ``hudson.model.User``."""
    ctx.require(READ)
    user_id = groups.get("user", ctx.principal.id)
    with ctx.lock:
        user = ctx.state.user_by_id(user_id)
    if user is None:
        raise ItemNotFound()
    bean = Bean("hudson.model.User")
    bean.add("absoluteUrl", ctx.absolute(f"user/{user.id}"))
    bean.add("description", None)
    bean.add("fullName", user.full_name or user.id)
    bean.add("id", user.id)
    bean.add(
        "property", [Bean("jenkins.security.ApiTokenProperty"), Bean("hudson.tasks.Mailer$UserProperty")]
    )
    return pages.json_response(export(bean, pruner_from(ctx.request.args)))


def login_page(ctx: RequestContext, groups: dict[str, str]) -> Response:
    return pages.page("Sign in")
