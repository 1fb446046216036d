"""Console and per-node logs: ``consoleText``, ``logText/progressiveText|progressiveHtml`` for the run and
for each flow node (``execution/node/N/log/…``), the one endpoint that serves a step's *full* log.

``progressiveText`` answers as ``LargeText.doProgressText``: body from byte ``start`` (restarting at 0 past
the end), lone ``\\n`` sent as ``\\r\\n``, ``X-Text-Size`` = the offset to ask for next, and ``X-More-Data:
true`` only while the run (or node) is still active.
"""

from __future__ import annotations

import html

from werkzeug.wrappers import Response

from bridge.sandbox.jenkins import pages
from bridge.sandbox.jenkins.builds import BUILD, build_of
from bridge.sandbox.jenkins.buildstate import Build
from bridge.sandbox.jenkins.context import RequestContext
from bridge.sandbox.jenkins.errors import ItemNotFound
from bridge.sandbox.jenkins.pipeline.console import strip_notes
from bridge.sandbox.jenkins.pipeline.graph import FlowNode
from bridge.sandbox.jenkins.routing import RouteTable

JOB = ("job",)
NODE = BUILD + r"/execution/node/(?P<node>\d+)"
TEXT = "text/plain;charset=utf-8"


def register(routes: RouteTable) -> None:
    routes.add(BUILD + "/consoleText", console_text, kinds=JOB)
    routes.add(BUILD + "/logText/progressive(?P<kind>Text|Html)", progressive, kinds=JOB)
    routes.add(NODE + "/log/logText/progressive(?P<kind>Text|Html)", node_progressive, kinds=JOB)
    routes.add(NODE + "/log", node_log_page, kinds=JOB)
    routes.add(NODE, node_page, kinds=JOB)


def _progressive(ctx: RequestContext, raw: bytes, *, active: bool, html_mode: bool) -> Response:
    """``raw`` is the stored log (console notes included): offsets count its bytes, the body has no notes."""
    arg = ctx.request.args.get("start", "0")
    start = int(arg) if arg.lstrip("-").isdigit() else 0
    if start > len(raw) or start < 0:
        start = 0
    text = strip_notes(raw[start:]).decode("utf-8", "replace")
    if html_mode:
        text = html.escape(text)
    body = text.replace("\r\n", "\n").replace("\n", "\r\n")
    resp = Response(body, content_type="text/html;charset=utf-8" if html_mode else TEXT)
    resp.headers["X-Text-Size"] = str(len(raw))
    if active:
        resp.headers["X-More-Data"] = "true"
    return resp


def console_text(ctx: RequestContext, groups: dict[str, str]) -> Response:
    """``Run.doConsoleText``: the whole log through ``PlainTextConsoleOutputStream`` (no notes)."""
    with ctx.lock:
        build = build_of(ctx, groups)
    return Response(build.run.console.read(), content_type=TEXT)


def progressive(ctx: RequestContext, groups: dict[str, str]) -> Response:
    with ctx.lock:
        build = build_of(ctx, groups)
    raw = build.run.console.raw()
    return _progressive(ctx, raw, active=build.building, html_mode=groups["kind"] == "Html")


def _node(ctx: RequestContext, groups: dict[str, str]) -> tuple[Build, FlowNode]:
    with ctx.lock:
        build = build_of(ctx, groups)
    node = build.run.graph.get(groups["node"])
    if node is None:
        raise ItemNotFound()
    return build, node


def node_progressive(ctx: RequestContext, groups: dict[str, str]) -> Response:
    _build, node = _node(ctx, groups)
    if node.log is None and not node.active:
        raise ItemNotFound()  # the node has no LogAction
    data = bytes(node.log or b"")
    return _progressive(ctx, data, active=node.active, html_mode=groups["kind"] == "Html")


def node_log_page(ctx: RequestContext, groups: dict[str, str]) -> Response:
    _build, node = _node(ctx, groups)
    if node.log is None:
        raise ItemNotFound()
    return pages.page("Console Output", bytes(node.log).decode("utf-8", "replace"))


def node_page(ctx: RequestContext, groups: dict[str, str]) -> Response:
    _build, node = _node(ctx, groups)
    return pages.page(node.display_name)
