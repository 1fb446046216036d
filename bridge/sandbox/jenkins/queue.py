"""``/queue/api/json``, ``/queue/item/N/api/json`` and cancellation, as ``hudson.model.Queue`` serves them.

Items leave the queue when their build starts (``Queue$LeftItem`` with ``executable``) or when cancelled
(``cancelled: true``, ``executable: null``); left items stay readable for five minutes.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from bridge.sandbox.jenkins import acl, pages
from bridge.sandbox.jenkins.buildbeans import actions_beans
from bridge.sandbox.jenkins.buildbeans import color as job_color
from bridge.sandbox.jenkins.buildstate import QueueItem, service
from bridge.sandbox.jenkins.computers import RUN_CLASS, build_url
from bridge.sandbox.jenkins.context import RequestContext
from bridge.sandbox.jenkins.errors import ItemNotFound
from bridge.sandbox.jenkins.export import Bean, export, pruner_from
from bridge.sandbox.jenkins.model import ITEM_CANCEL, READ
from bridge.sandbox.jenkins.pipeline.graph import now_ms
from bridge.sandbox.jenkins.routing import RouteTable

ROOT = ("root",)
ITEM = r"queue/item/(?P<id>\d+)"


def register(routes: RouteTable) -> None:
    routes.add("queue/api/json", queue_json, kinds=ROOT)
    routes.add(ITEM + "/api/json", item_json, kinds=ROOT)
    routes.add(ITEM + "/cancelQueue", cancel_item, kinds=ROOT, methods=("POST",))
    routes.add(ITEM, item_page, kinds=ROOT)
    routes.add("queue/cancelItem", cancel_item, kinds=ROOT, methods=("POST",))
    routes.add("queue/?", queue_page, kinds=ROOT)


def _why(item: QueueItem) -> str | None:
    if item.state == "waiting":
        left = max(0, item.buildable_at - now_ms()) / 1000
        return (
            f"In the quiet period. Expires in {left:.1f} sec"
            if left > 0
            else "Waiting for next available executor"
        )
    if item.state == "blocked":
        build = next((b for b in item.job.builds.values() if b.building), None)
        number = f" #{build.number}" if build else ""
        return f"Build{number} is already in progress (ETA: N/A)"
    return None


def item_bean(ctx: RequestContext, item: QueueItem) -> Bean:
    kind = {"waiting": "WaitingItem", "blocked": "BlockedItem", "left": "LeftItem"}[item.state]
    job = item.job
    bean = Bean(f"hudson.model.Queue${kind}")
    bean.add("actions", actions_beans(item.causes, item.parameters))
    bean.add("blocked", item.state == "blocked")
    bean.add("buildable", False)
    bean.add("id", item.id)
    bean.add("inQueueSince", item.in_queue_since)
    bean.add("params", "".join(f"\n{p.name}={p.value}" for p in item.parameters))
    bean.add("stuck", False)
    task = Bean(job.java_class).add("name", job.name, 999).add("url", ctx.url_of(job), 999)
    bean.add("task", task.add("color", job_color(job), 2))
    bean.add("url", f"queue/item/{item.id}/")
    bean.add("why", _why(item))
    if item.state == "waiting":
        bean.add("timestamp", item.buildable_at)
    if item.state == "left":
        bean.add("cancelled", item.cancelled)
        executable = None
        if item.build is not None:
            executable = (
                Bean(RUN_CLASS)
                .add("number", item.build.number, 999)
                .add("url", build_url(ctx, item.build), 999)
            )
        bean.add("executable", executable)
    return bean


def _item(ctx: RequestContext, raw: str | None) -> QueueItem:
    ctx.require(READ)
    builds = service(ctx.state, ctx.services)
    builds._expire_left()
    found = builds.items.get(int(raw)) if raw and raw.isdigit() else None
    if found is None or not acl.visible(ctx.state, ctx.identity, found.job):
        raise ItemNotFound(f"Provided id ({raw}) not found")
    return found


def queue_json(ctx: RequestContext, groups: dict[str, str]) -> Response:
    pruner = pruner_from(ctx.request.args)
    with ctx.lock:
        ctx.require(READ)
        items = [
            i
            for i in service(ctx.state, ctx.services).items.values()
            if i.state != "left" and acl.visible(ctx.state, ctx.identity, i.job)
        ]
        bean = (
            Bean("hudson.model.Queue")
            .add("discoverableItems", [], inline=True)  # Queue: @Exported(inline = true) on both
            .add("items", [item_bean(ctx, i) for i in sorted(items, key=lambda i: i.id)], inline=True)
        )
        data = export(bean, pruner)
    return pages.json_response(data)


def item_json(ctx: RequestContext, groups: dict[str, str]) -> Response:
    pruner = pruner_from(ctx.request.args)
    with ctx.lock:
        data = export(item_bean(ctx, _item(ctx, groups["id"])), pruner)
    return pages.json_response(data)


def item_page(ctx: RequestContext, groups: dict[str, str]) -> Response:
    with ctx.lock:
        item = _item(ctx, groups["id"])
        return pages.page(f"Queue item {item.id}")


def queue_page(ctx: RequestContext, groups: dict[str, str]) -> Response:
    return pages.page("Build Queue")


def cancel_item(ctx: RequestContext, groups: dict[str, str]) -> Response:
    """``Queue.doCancelItem``: 204; unknown id 404; an item that already left is 422."""
    with ctx.lock:
        item = _item(ctx, groups.get("id") or ctx.param("id"))
        ctx.require(ITEM_CANCEL, item.job)
        if not service(ctx.state, ctx.services).cancel(item):
            return pages.page("Unprocessable", f"Queue item {item.id} cannot be cancelled", status=422)
    return pages.empty(204)
