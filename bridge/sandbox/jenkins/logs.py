"""Console and per-node logs: ``consoleText``, ``logText/progressiveText|progressiveHtml`` for the run and
for each flow node (``execution/node/N/log/…``), the one endpoint that serves a step's *full* log.

``progressiveText`` answers as ``LargeText.doProgressText``: body from byte ``start`` (restarting at 0 past
the end), lone ``\\n`` sent as ``\\r\\n``, ``X-Text-Size`` = the offset to ask for next, and ``X-More-Data:
true`` only while the run (or node) is still active. Up to 2.508 the plain body has the console notes
stripped; a sandbox started as version 2.509 or later sends them along, as those versions do.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator

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
SLICE = 256 * 1024


def register(routes: RouteTable) -> None:
    routes.add(BUILD + "/consoleText", console_text, kinds=JOB)
    routes.add(BUILD + "/logText/progressive(?P<kind>Text|Html)", progressive, kinds=JOB)
    routes.add(NODE + "/log/logText/progressive(?P<kind>Text|Html)", node_progressive, kinds=JOB)
    routes.add(NODE + "/log", node_log_page, kinds=JOB)
    routes.add(NODE, node_page, kinds=JOB)


def _progressive(
    ctx: RequestContext, read: Callable[[int, int], bytes], size: int, *, active: bool, html_mode: bool
) -> Response:
    """``read(a, b)`` gives the stored log's raw bytes ``[a, b)`` (console notes included): offsets count
    them, the body has no notes. ``size`` is the length when the request arrived: the body stops there
    (stapler ≥ 2029 caps it at ``X-Text-Size``) and is streamed in line-aligned slices, never copied whole."""
    arg = ctx.request.args.get("start", "0")
    start = int(arg) if arg.lstrip("-").isdigit() else 0
    if start > size or start < 0:
        start = 0
    resp = Response(
        _body(read, start, size, html_mode=html_mode, notes=not html_mode and _keeps_notes(ctx.version)),
        content_type="text/html;charset=utf-8" if html_mode else TEXT,
    )
    resp.headers["X-Text-Size"] = str(size)
    if active:
        resp.headers["X-More-Data"] = "true"
    return resp


def _keeps_notes(version: str) -> bool:
    """From 2.509 on (JENKINS-75081) plain ``progressiveText`` sends the stored bytes, notes included."""
    try:
        return tuple(int(x) for x in version.split(".")[:2]) >= (2, 509)
    except ValueError:
        return False


def _body(
    read: Callable[[int, int], bytes],
    start: int,
    end: int,
    *,
    html_mode: bool,
    crlf: bool = True,
    notes: bool = False,
) -> Iterator[bytes]:
    """The log from ``start`` to ``end`` without notes, lone ``\\n`` sent as ``\\r\\n``, one slice at a time
    (cut after a newline, so neither a note nor a UTF-8 character is split)."""
    pos, carry = start, b""
    while pos < end:
        upto = min(end, pos + SLICE)
        data = carry + read(pos, upto)
        pos = upto
        cut = data.rfind(b"\n") + 1 if pos < end and len(data) < 4 * SLICE else len(data)
        carry = data[cut:]
        if cut:
            text = (data[:cut] if notes else strip_notes(data[:cut])).decode("utf-8", "replace")
            if html_mode:
                text = html.escape(text)
            if crlf:
                text = text.replace("\r\n", "\n").replace("\n", "\r\n")
            yield text.encode("utf-8")


def console_text(ctx: RequestContext, groups: dict[str, str]) -> Response:
    """``Run.doConsoleText``: the whole log through ``PlainTextConsoleOutputStream`` (no notes)."""
    with ctx.lock:
        build = build_of(ctx, groups)
    console = build.run.console
    return Response(
        _body(console.raw_slice, 0, console.size(), html_mode=False, crlf=False), content_type=TEXT
    )


def progressive(ctx: RequestContext, groups: dict[str, str]) -> Response:
    with ctx.lock:
        build = build_of(ctx, groups)
    console = build.run.console
    active = build.building  # read before the size: a run that ends in between is asked again, not cut
    return _progressive(
        ctx, console.raw_slice, console.size(), active=active, html_mode=groups["kind"] == "Html"
    )


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
    active = node.active
    log = node.log if node.log is not None else bytearray()
    return _progressive(
        ctx, lambda a, b: bytes(log[a:b]), len(log), active=active, html_mode=groups["kind"] == "Html"
    )


def node_log_page(ctx: RequestContext, groups: dict[str, str]) -> Response:
    _build, node = _node(ctx, groups)
    if node.log is None:
        raise ItemNotFound()
    return pages.page("Console Output", bytes(node.log).decode("utf-8", "replace"))


def node_page(ctx: RequestContext, groups: dict[str, str]) -> Response:
    _build, node = _node(ctx, groups)
    return pages.page(node.display_name)
