"""Item endpoints: createItem, config.xml, doDelete / DELETE, confirmRename / doRename, enable /
disable, ``api/json`` and the HTML pages that Jenkins' redirects point to."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET

from werkzeug.wrappers import Response

from bridge.sandbox.jenkins import itemxml, pages
from bridge.sandbox.jenkins.context import RequestContext
from bridge.sandbox.jenkins.credtypes import SecretCipher
from bridge.sandbox.jenkins.errors import Failure, ItemNotFound, Oops
from bridge.sandbox.jenkins.export import Bean, LazyBean, export, pruner_from
from bridge.sandbox.jenkins.itemjson import folder_bean, job_bean, root_bean, view_bean
from bridge.sandbox.jenkins.model import (
    FOLDER_CLASS,
    FREESTYLE_CLASS,
    ITEM_CONFIGURE,
    ITEM_CREATE,
    ITEM_DELETE,
    ITEM_READ,
    READ,
    WORKFLOW_JOB_CLASS,
    Folder,
    Item,
    Job,
)
from bridge.sandbox.jenkins.names import check_good_name, quoted
from bridge.sandbox.jenkins.routing import RouteTable

MODES = (FOLDER_CLASS, WORKFLOW_JOB_CLASS, FREESTYLE_CLASS)


def register(routes: RouteTable) -> None:
    routes.add("api/json", api_json, kinds=("root", "folder", "job"))
    routes.add("createItem", create_item, kinds=("root", "folder"), methods=("POST",))
    routes.add("config.xml", config_xml, methods=("GET", "POST", "PUT", "DELETE", "PATCH"))
    routes.add("doDelete", do_delete, methods=("POST",))
    routes.add("", delete_item, methods=("DELETE",))
    routes.add("confirmRename", confirm_rename, methods=("POST",))
    routes.add("doRename", do_rename, kinds=("job",), methods=("POST",))
    routes.add("(?P<flag>enable|disable)", set_enabled, kinds=("job",), methods=("POST",))
    routes.add("view/(?P<view>[^/]+)/api/json", view_json, kinds=("root", "folder"))
    routes.add("", item_page, kinds=("root", "folder", "job"))
    routes.add("(?P<page>configure|rename|delete|newJob|changes|console)", item_page, kinds=("folder", "job"))


def cipher(ctx: RequestContext) -> SecretCipher:
    return SecretCipher(ctx.state.instance_salt)


def api_json(ctx: RequestContext, groups: dict[str, str]) -> Response:
    pruner = pruner_from(ctx.request.args)
    with ctx.lock:
        item = ctx.item
        bean: Bean | LazyBean
        if isinstance(item, Folder) and item.is_root:
            ctx.require(READ)
            bean = root_bean(ctx)
        else:
            ctx.require(ITEM_READ)
            bean = folder_bean(ctx, item) if isinstance(item, Folder) else job_bean(ctx, item)  # type: ignore[arg-type]
        data = export(bean, pruner)
    return pages.json_response(data, pretty=ctx.request.args.get("pretty") == "true")


def view_json(ctx: RequestContext, groups: dict[str, str]) -> Response:
    """The one view every item group has: ``all`` at the root, ``All`` in a folder (python-jenkins
    ``get_jobs(view_name=...)``); other views are not emulated (404)."""
    ctx.require(READ)
    folder = ctx.item
    assert isinstance(folder, Folder)
    name = "all" if folder.is_root else "All"
    if groups["view"] != name:
        raise ItemNotFound()
    pruner = pruner_from(ctx.request.args)
    with ctx.lock:
        bean = view_bean(ctx, folder, name)
        data = export(bean, pruner)
    return pages.json_response(data)


def item_page(ctx: RequestContext, groups: dict[str, str]) -> Response:
    ctx.require(READ)
    title = ctx.item.full_name or "Dashboard"
    return pages.page(title, groups.get("page", ""))


def create_item(ctx: RequestContext, groups: dict[str, str]) -> Response:
    """``ItemGroupMixIn.createTopLevelItem``, checks in Jenkins' order."""
    ctx.require(ITEM_CREATE)
    parent = ctx.item
    assert isinstance(parent, Folder)
    content_type = ctx.request.headers.get("Content-Type")
    mode = ctx.param("mode")
    if content_type is None and mode != "copy":
        raise Failure("No Content-Type header set")
    is_xml = content_type is not None and content_type.startswith(("application/xml", "text/xml"))
    raw_name = ctx.request.args.get("name")
    if raw_name is None and not is_xml:
        raw_name = ctx.request.form.get("name")
    if raw_name is None:
        raise Failure("Query parameter 'name' is required")
    name = check_good_name(raw_name)
    with ctx.lock:
        if name in parent.children:
            raise Failure(f"A job already exists with the name {quoted(name)}")
        if mode == "copy":
            item = _copy(ctx, parent, name, ctx.param("from"))
        elif is_xml:
            root = itemxml.parse(ctx.request.get_data())
            _create_from_xml(ctx, parent, name, root)
            return pages.empty(200)
        elif mode is None:
            raise Failure("No mode given")
        elif mode not in MODES:
            raise Failure(f"No item type {quoted(mode)} is known")
        else:
            item = _new_item(parent, name, mode)
            parent.children[name] = item
    return pages.redirect(ctx.url_of(item) + "configure")


def _new_item(parent: Folder, name: str, java_class: str) -> Item:
    if java_class == FOLDER_CLASS:
        return Folder(name=name, parent=parent)
    job = Job(name=name, parent=parent, java_class=java_class)
    itemxml.apply_job_config(job, itemxml.empty_job_config(java_class))
    return job


def _create_from_xml(ctx: RequestContext, parent: Folder, name: str, root: ET.Element) -> Item:
    java_class = itemxml.java_class_of(root)
    item: Item
    if java_class == FOLDER_CLASS:
        folder = Folder(name=name, parent=parent)
        itemxml.apply_folder_config(folder, root, cipher(ctx))
        item = folder
    else:
        job = Job(name=name, parent=parent, java_class=java_class)
        itemxml.apply_job_config(job, root)
        item = job
    item.config_posted = True
    parent.children[name] = item
    return item


def _copy(ctx: RequestContext, parent: Folder, name: str, source: str | None) -> Item:
    if not source:
        raise Failure("Specify which job to copy")
    src = ctx.state.find_item(source) if source.startswith("/") else parent.children.get(source)
    if src is None:
        src = ctx.state.find_item(source)
    if src is None or (isinstance(src, Folder) and src.is_root):
        raise Failure(f"No such job: {source}")
    if isinstance(src, Folder):
        root = itemxml.render_folder(src, cipher(ctx))
    else:
        assert isinstance(src, Job)
        root = (
            copy.deepcopy(src.config) if src.config is not None else itemxml.empty_job_config(src.java_class)
        )
    item = _create_from_xml(ctx, parent, name, root)
    if isinstance(item, Job):
        itemxml.set_job_flag(item, "disabled", "true")  # Jenkins disables a copied job until saved
        item.disabled = True
    return item


def config_xml(ctx: RequestContext, groups: dict[str, str]) -> Response:
    """``AbstractItem.doConfigDotXml``: GET reads, POST replaces (same class only), others 400."""
    method = ctx.request.method
    item = ctx.item
    if method in ("GET", "HEAD"):
        ctx.require(ITEM_CONFIGURE)
        with ctx.lock:
            if isinstance(item, Folder):
                root = itemxml.render_folder(item, cipher(ctx))
            else:
                assert isinstance(item, Job)
                root = (
                    copy.deepcopy(item.config)
                    if item.config is not None
                    else itemxml.empty_job_config(item.java_class)
                )
        return pages.xml_response(root, posted=item.config_posted)
    if method != "POST":
        raise Failure("Unexpected request method " + method)
    ctx.require(ITEM_CONFIGURE)
    root = itemxml.parse(ctx.request.get_data())
    java_class = itemxml.java_class_of(root)
    with ctx.lock:
        if java_class != item.java_class:
            raise Oops(f"Expecting class {item.java_class} but got class {java_class} instead")
        if isinstance(item, Folder):
            itemxml.apply_folder_config(item, root, cipher(ctx))
        else:
            assert isinstance(item, Job)
            itemxml.apply_job_config(item, root)
        item.config_posted = True
    return pages.empty(200)


def _delete(ctx: RequestContext) -> Folder:
    """``AbstractItem.delete``: cancel the subtree's queue items and abort its running builds first
    (``ItemDeletion.cancelBuildsInProgress``, waiting up to 15 s for them to end), then remove it."""
    from bridge.sandbox.jenkins.deletion import cancel_builds_in_progress

    ctx.require(ITEM_DELETE)
    with ctx.lock:
        item = ctx.item
        if item.parent is None or item.parent.children.get(item.name) is not item:
            raise ItemNotFound()
    cancel_builds_in_progress(ctx.state, ctx.services, item, ctx.principal.id)
    with ctx.lock:
        parent = item.parent
        if parent is None or parent.children.get(item.name) is not item:
            raise ItemNotFound()
        del parent.children[item.name]
        return parent


def do_delete(ctx: RequestContext, groups: dict[str, str]) -> Response:
    parent = _delete(ctx)
    return pages.redirect(ctx.url_of(parent))


def delete_item(ctx: RequestContext, groups: dict[str, str]) -> Response:
    _delete(ctx)
    return pages.empty(204)


def confirm_rename(ctx: RequestContext, groups: dict[str, str]) -> Response:
    """``AbstractItem.doConfirmRename``: 302 to ``../NEW`` (sent normalised, absolute)."""
    ctx.require(ITEM_CONFIGURE)
    raw = ctx.param("newName")
    new_name = raw.strip() if raw is not None else None
    with ctx.lock:
        item = ctx.item
        parent = item.parent
        assert parent is not None
        check_good_name(new_name)
        assert new_name is not None
        if new_name == item.name:
            raise Failure("The new name is the same as the current name.")
        if new_name in parent.children:
            raise Failure(f"The name “{new_name}” is already in use.")
        if isinstance(item, Job) and _is_building(item):
            raise Failure("Unable to rename a job while it is building.")
        del parent.children[item.name]
        item.name = new_name
        parent.children[new_name] = item
        location = ctx.url_of(item)
    return pages.redirect(location)


def do_rename(ctx: RequestContext, groups: dict[str, str]) -> Response:
    """``Job.doDoRename`` (deprecated, jobs only): what python-jenkins' ``rename_job`` posts."""
    return confirm_rename(ctx, groups)


def set_enabled(ctx: RequestContext, groups: dict[str, str]) -> Response:
    ctx.require(ITEM_CONFIGURE)
    job = ctx.item
    assert isinstance(job, Job)
    disabled = groups["flag"] == "disable"
    with ctx.lock:
        job.disabled = disabled
        job.config_posted = False  # Job.save(): written by XmlFile from now on
        itemxml.set_job_flag(job, "disabled", "true" if disabled else "false")
        location = ctx.url_of(job)
    return pages.redirect(location)


def _is_building(job: Job) -> bool:
    return any(getattr(b, "building", False) for b in job.builds.values())
