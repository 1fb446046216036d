"""Credential stores over HTTP: the system store (``/credentials/store/system/domain/_/``) and folder
stores (``/job/F/credentials/store/folder/domain/_/``), as the credentials plugin serves them.

Only the global domain ``_`` exists; any other domain is a 404.
"""

from __future__ import annotations

import json

from werkzeug.wrappers import Response

from bridge.sandbox.jenkins import credtypes, itemxml, pages
from bridge.sandbox.jenkins.context import RequestContext
from bridge.sandbox.jenkins.credtypes import SecretCipher
from bridge.sandbox.jenkins.errors import DuplicateCredential, Failure, ItemNotFound
from bridge.sandbox.jenkins.export import Bean, export, pruner_from
from bridge.sandbox.jenkins.model import (
    CREDENTIALS_CREATE,
    CREDENTIALS_DELETE,
    CREDENTIALS_UPDATE,
    CREDENTIALS_VIEW,
    Credential,
    CredentialStore,
    Folder,
    Item,
)
from bridge.sandbox.jenkins.routing import RouteTable

STORE = r"credentials/store/(?P<store>system|folder)"
DOMAIN = STORE + r"/domain/(?P<domain>[^/]+)"
CRED = DOMAIN + r"/credentials?/(?P<id>[^/]+)"
WRAPPER = "com.cloudbees.plugins.credentials.CredentialsStoreAction$"
STORE_ACTION = {
    "system": "com.cloudbees.plugins.credentials.SystemCredentialsProvider$UserFacingAction",
    "folder": "com.cloudbees.hudson.plugins.folder.properties.FolderCredentialsProvider"
    "$FolderCredentialsProperty$CredentialsStoreActionImpl",
}
KINDS = ("root", "folder")


def register(routes: RouteTable) -> None:
    routes.add(STORE + "/api/json", store_json, kinds=KINDS)
    routes.add(STORE, page, kinds=KINDS)
    routes.add(DOMAIN + "/api/json", domain_json, kinds=KINDS)
    routes.add(DOMAIN, page, kinds=KINDS)
    routes.add(DOMAIN + "/createCredentials", create, kinds=KINDS, methods=("POST",))
    routes.add(CRED + "/api/json", credential_json, kinds=KINDS)
    routes.add(CRED + "/config.xml", config_xml, kinds=KINDS, methods=("GET", "POST", "DELETE", "PUT"))
    routes.add(CRED + "/doDelete", do_delete, kinds=KINDS, methods=("POST",))
    routes.add(CRED + "/updateSubmit", update_submit, kinds=KINDS, methods=("POST",))
    routes.add(CRED + "(?:/update)?", page, kinds=KINDS)


def resolve_credential(item: Item, credentials_id: str) -> Credential | None:
    """What ``withCredentials`` finds: the item's own folder store (if a folder), then each enclosing
    folder's, nearest first, then the system store, whose SYSTEM-scope credentials items never see
    (``SystemCredentialsProvider``: ``not(withScope(SYSTEM))`` for items). Call with the state lock held."""
    stores: list[CredentialStore] = []
    if isinstance(item, Folder):
        stores.append(item.store)
    stores.extend(f.store for f in item.ancestors())
    for store in stores:
        found = store.credentials.get(credentials_id)
        if found is not None and not (store is stores[-1] and found.scope == "SYSTEM"):
            return found
    return None


def _store(ctx: RequestContext, groups: dict[str, str]) -> CredentialStore:
    item = ctx.item
    assert isinstance(item, Folder)
    expected = "system" if item.is_root else "folder"
    if groups["store"] != expected or groups.get("domain", "_") != "_":
        raise ItemNotFound()
    if ctx.request.method in ("POST", "DELETE"):
        item.config_posted = False  # a folder store change saves the folder through XmlFile
    return item.store


def _credential(ctx: RequestContext, groups: dict[str, str]) -> tuple[CredentialStore, Credential]:
    store = _store(ctx, groups)
    cred = store.credentials.get(groups["id"])
    if cred is None:
        raise ItemNotFound()
    return store, cred


def _store_prefix(ctx: RequestContext) -> str:
    """``fullName`` prefix: ``system/_`` or ``{folder full name}/folder/_``."""
    return "system/_" if ctx.item.parent is None else f"{ctx.item.full_name}/folder/_"


def _store_display(ctx: RequestContext) -> str:
    return "System" if ctx.item.parent is None else "Folder"


def _wrapper(ctx: RequestContext, cred: Credential) -> Bean:
    bean = Bean(WRAPPER + "CredentialsWrapper")
    bean.add("description", cred.description)
    bean.add("displayName", credtypes.display_name(cred))
    bean.add("fingerprint", None)
    bean.add("fullName", f"{_store_prefix(ctx)}/{cred.id}")
    bean.add("id", cred.id)
    bean.add("typeName", credtypes.type_of(cred.cls).type_name)
    return bean


def _domain(ctx: RequestContext, store: CredentialStore) -> Bean:
    bean = Bean(WRAPPER + "DomainWrapper")
    bean.add("credentials", [_wrapper(ctx, c) for c in store.credentials.values()])
    bean.add("description", "Credentials that should be available everywhere.")
    bean.add("displayName", "Global")
    bean.add("fullDisplayName", f"{_store_display(ctx)} » Global")
    bean.add("fullName", _store_prefix(ctx))
    bean.add("global", True)
    bean.add("urlName", "_")
    return bean


def _json(ctx: RequestContext, bean: Bean) -> Response:
    return pages.json_response(export(bean, pruner_from(ctx.request.args)))


def store_json(ctx: RequestContext, groups: dict[str, str]) -> Response:
    ctx.require(CREDENTIALS_VIEW)
    with ctx.lock:
        store = _store(ctx, groups)
        bean = Bean(STORE_ACTION[groups["store"]]).add("domains", {"_": _domain(ctx, store)})
        return _json(ctx, bean)


def domain_json(ctx: RequestContext, groups: dict[str, str]) -> Response:
    ctx.require(CREDENTIALS_VIEW)
    with ctx.lock:
        return _json(ctx, _domain(ctx, _store(ctx, groups)))


def credential_json(ctx: RequestContext, groups: dict[str, str]) -> Response:
    ctx.require(CREDENTIALS_VIEW)
    with ctx.lock:
        _, cred = _credential(ctx, groups)
        return _json(ctx, _wrapper(ctx, cred))


def page(ctx: RequestContext, groups: dict[str, str]) -> Response:
    ctx.require(CREDENTIALS_VIEW)
    with ctx.lock:
        if "id" in groups:
            _credential(ctx, groups)
        else:
            _store(ctx, groups)
    return pages.page("Credentials")


def create(ctx: RequestContext, groups: dict[str, str]) -> Response:
    """``DomainWrapper.doCreateCredentials``: XML body (200 / 409) or the ``json=`` form (302)."""
    ctx.require(CREDENTIALS_CREATE)
    content_type = ctx.request.headers.get("Content-Type")
    if content_type is None:
        raise Failure("No Content-Type header set")
    cipher = SecretCipher(ctx.state.instance_salt)
    if content_type.startswith(("application/xml", "text/xml")):
        root = itemxml.parse(ctx.request.get_data())
        cred = credtypes.from_xml(root, cipher)
        with ctx.lock:
            store = _store(ctx, groups)
            if cred.id in store.credentials:
                raise DuplicateCredential(f"Credentials with id {cred.id} already exist")
            store.credentials[cred.id] = cred
        return pages.empty(200)
    cred = credtypes.from_json(_form_json(ctx).get("credentials"), cipher)
    with ctx.lock:
        store = _store(ctx, groups)
        added = cred.id not in store.credentials
        if added:
            store.credentials[cred.id] = cred
    if _wants_json(ctx):
        if added:
            return _notification("Credentials created", "SUCCESS")
        return _notification("Credentials with specified ID already exist", "ERROR")
    return pages.redirect(ctx.absolute(f"{ctx.item.url_path}credentials/store/{groups['store']}/domain/_"))


def config_xml(ctx: RequestContext, groups: dict[str, str]) -> Response:
    """GET: secrets as ``<secret-redacted/>``, no XML declaration. POST: update. DELETE: remove."""
    method = ctx.request.method
    if method in ("GET", "HEAD"):
        ctx.require(CREDENTIALS_VIEW)
        with ctx.lock:
            _, cred = _credential(ctx, groups)
            root = credtypes.to_xml(cred, cipher=None)
        return pages.xml_response(root, declaration=False)
    if method == "POST":
        ctx.require(CREDENTIALS_UPDATE)
        with ctx.lock:
            _credential(ctx, groups)
        new = credtypes.from_xml(itemxml.parse(ctx.request.get_data()), SecretCipher(ctx.state.instance_salt))
        with ctx.lock:
            _replace(ctx, groups, new)
        return pages.empty(200)
    if method == "DELETE":
        ctx.require(CREDENTIALS_DELETE)
        with ctx.lock:
            store, cred = _credential(ctx, groups)
            del store.credentials[cred.id]
        return pages.empty(200)
    return pages.page("Bad Request", status=400)


def do_delete(ctx: RequestContext, groups: dict[str, str]) -> Response:
    ctx.require(CREDENTIALS_DELETE)
    with ctx.lock:
        store, cred = _credential(ctx, groups)
        del store.credentials[cred.id]
    if _wants_json(ctx):
        return _notification("Credentials deleted", "SUCCESS")
    return pages.redirect(ctx.absolute(f"{ctx.item.url_path}credentials/store/{groups['store']}/domain/_/"))


def update_submit(ctx: RequestContext, groups: dict[str, str]) -> Response:
    """The credential's web form: ``json=`` with the new values (an unchanged encrypted secret
    decrypts to the old value, as ``Secret.fromString`` does)."""
    ctx.require(CREDENTIALS_UPDATE)
    with ctx.lock:
        _credential(ctx, groups)
    data = _form_json(ctx)
    new = credtypes.from_json(data.get("credentials", data), SecretCipher(ctx.state.instance_salt))
    with ctx.lock:
        _replace(ctx, groups, new)
    if _wants_json(ctx):
        return _notification("Credentials updated", "SUCCESS")
    return pages.redirect(
        ctx.absolute(f"{ctx.item.url_path}credentials/store/{groups['store']}/domain/_/credential/{new.id}/")
    )


def _replace(ctx: RequestContext, groups: dict[str, str], new: Credential) -> None:
    """``CredentialsStore.updateCredentials``: same position; a changed id must not collide."""
    store, old = _credential(ctx, groups)
    if new.id != old.id and new.id in store.credentials:
        raise Failure(f"Credentials with id {new.id} already exist")
    store.credentials = {
        (new.id if k == old.id else k): (new if k == old.id else v) for k, v in store.credentials.items()
    }


def _form_json(ctx: RequestContext) -> dict[str, object]:
    raw = ctx.param("json")
    if raw is None:
        raise Failure("Nothing is submitted")
    try:
        data = json.loads(raw)
    except ValueError:
        raise Failure("Malformed JSON submission") from None
    if not isinstance(data, dict):
        raise Failure("Malformed JSON submission")
    return data


def _wants_json(ctx: RequestContext) -> bool:
    return "application/json" in ctx.request.headers.get("Accept", "")


def _notification(message: str, kind: str) -> Response:
    return pages.json_response({"message": message, "notificationType": kind})
