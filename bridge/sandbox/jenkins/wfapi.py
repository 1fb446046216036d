"""Stage View REST (``/wfapi``, plugin pipeline-rest-api): runs, stages, nodes, node logs, pending inputs.

Statuses are ``StatusExt``: NOT_EXECUTED, ABORTED, SUCCESS, IN_PROGRESS, PAUSED_PENDING_INPUT, FAILED,
UNSTABLE. A stage is FAILED when one of its nodes failed, PAUSED_PENDING_INPUT while an input inside it
waits, IN_PROGRESS while it runs, NOT_EXECUTED when skipped. Links carry the context path, no host.
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import quote

from werkzeug.wrappers import Response

from bridge.sandbox.jenkins.builds import BUILD, build_of, job_of
from bridge.sandbox.jenkins.buildstate import Build
from bridge.sandbox.jenkins.context import RequestContext
from bridge.sandbox.jenkins.errors import Failure, ItemNotFound
from bridge.sandbox.jenkins.inputs import parse_values, pending, proceed
from bridge.sandbox.jenkins.model import ITEM_READ
from bridge.sandbox.jenkins.pipeline.graph import FlowNode, now_ms
from bridge.sandbox.jenkins.routing import RouteTable

JOB = ("job",)
MAX_RUNS = 10
MAX_LOG = 10240
RESULT_STATUS = {
    "SUCCESS": "SUCCESS",
    "UNSTABLE": "UNSTABLE",
    "FAILURE": "FAILED",
    "ABORTED": "ABORTED",
    "NOT_BUILT": "NOT_EXECUTED",
}


def register(routes: RouteTable) -> None:
    routes.add("wfapi(?:/describe)?", job_describe, kinds=JOB)
    routes.add("wfapi/runs", job_runs, kinds=JOB)
    routes.add(BUILD + "/wfapi(?:/describe)?", run_describe, kinds=JOB)
    routes.add(BUILD + "/wfapi/pendingInputActions", pending_actions, kinds=JOB)
    routes.add(BUILD + "/wfapi/nextPendingInputAction", next_pending_action, kinds=JOB)
    routes.add(BUILD + "/wfapi/inputSubmit", input_submit, kinds=JOB, methods=("POST",))
    routes.add(BUILD + r"/wfapi/(?:artifacts|changesets)", empty_list, kinds=JOB)
    routes.add(BUILD + r"/execution/node/(?P<node>\d+)/wfapi(?:/describe)?", node_describe, kinds=JOB)
    routes.add(BUILD + r"/execution/node/(?P<node>\d+)/wfapi/log", node_log, kinds=JOB)


def _json(data: Any) -> Response:
    return Response(json.dumps(data), content_type="application/json; charset=UTF-8")


def run_path(ctx: RequestContext, build: Build) -> str:
    return f"{ctx.context_path}/{build.job.url_path}{build.number}/"


def run_status(build: Build) -> str:
    if build.result is not None:
        return RESULT_STATUS.get(build.result, "FAILED")
    return "PAUSED_PENDING_INPUT" if build.run.pending_inputs() else "IN_PROGRESS"


def node_status(build: Build, node: FlowNode) -> str:
    if node.error is not None:
        return "ABORTED" if node.error_result == "ABORTED" else "FAILED"
    if node.paused_since is not None:
        return "PAUSED_PENDING_INPUT"
    if node.active:
        return "IN_PROGRESS"
    return "UNSTABLE" if node.unstable else "SUCCESS"


def _stage_nodes(build: Build, stage: FlowNode) -> list[FlowNode]:
    return [n for n in build.run.graph.within(stage.id) if n.kind == "atom"]


def stage_status(build: Build, stage: FlowNode) -> str:
    if stage.tags.get("STAGE_STATUS", "").startswith("SKIPPED"):
        return "NOT_EXECUTED"
    statuses = [node_status(build, n) for n in _stage_nodes(build, stage)]
    for status in ("FAILED", "ABORTED", "PAUSED_PENDING_INPUT"):
        if status in statuses:
            return status
    if stage.active:
        return "IN_PROGRESS"
    if stage.error is not None:
        return "ABORTED" if stage.error_result == "ABORTED" else "FAILED"
    return "UNSTABLE" if "UNSTABLE" in statuses else "SUCCESS"


def _times(node: FlowNode) -> tuple[int, int, int]:
    now = now_ms()
    end = node.end_ms if node.end_ms is not None else now
    return node.start_ms, end - node.start_ms, node.pause_total(now)


def _error(node: FlowNode) -> dict[str, str] | None:
    return {"message": node.error[0], "type": node.error[1]} if node.error else None


def atom_ext(ctx: RequestContext, build: Build, node: FlowNode) -> dict[str, Any]:
    base = f"{run_path(ctx, build)}execution/node/{node.id}/"
    links: dict[str, Any] = {"self": {"href": base + "wfapi/describe"}}
    if node.log is not None:
        links["log"] = {"href": base + "wfapi/log"}
        links["console"] = {"href": base + "log"}
    start, duration, paused = _times(node)
    out: dict[str, Any] = {
        "_links": links,
        "id": node.id,
        "name": node.display_name.removesuffix(" : Start"),
        "execNode": "",
        "status": node_status(build, node),
    }
    if (error := _error(node)) is not None:
        out["error"] = error
    if node.arguments:
        out["parameterDescription"] = node.arguments[:100]
    out.update(
        startTimeMillis=start, durationMillis=duration, pauseDurationMillis=paused, parentNodes=node.parents
    )
    return out


def stage_ext(ctx: RequestContext, build: Build, stage: FlowNode, *, full: bool) -> dict[str, Any]:
    status = stage_status(build, stage)
    start, duration, _paused = _times(stage)
    paused = sum(n.pause_total(now_ms()) for n in _stage_nodes(build, stage))
    out: dict[str, Any] = {
        "_links": {"self": {"href": f"{run_path(ctx, build)}execution/node/{stage.id}/wfapi/describe"}},
        "id": stage.id,
        "name": stage.label or "",
        "execNode": "",
        "status": status,
    }
    failed = next((n for n in build.run.graph.within(stage.id) if n.error), stage if stage.error else None)
    if failed is not None and status in ("FAILED", "ABORTED"):
        out["error"] = _error(failed)
    out.update(
        startTimeMillis=start,
        durationMillis=duration,
        pauseDurationMillis=paused,
    )
    if full:
        out["stageFlowNodes"] = [atom_ext(ctx, build, n) for n in _stage_nodes(build, stage)][:100]
    return out


def run_ext(ctx: RequestContext, build: Build, *, full: bool = False) -> dict[str, Any]:
    status = run_status(build)
    links: dict[str, Any] = {"self": {"href": f"{run_path(ctx, build)}wfapi/describe"}}
    if build.run.pending_inputs():
        links["pendingInputActions"] = {"href": f"{run_path(ctx, build)}wfapi/pendingInputActions"}
        links["nextPendingInputAction"] = {"href": f"{run_path(ctx, build)}wfapi/nextPendingInputAction"}
    links["artifacts"] = {"href": f"{run_path(ctx, build)}wfapi/artifacts"}
    start = build.run.started_ms or build.timestamp
    end = build.run.finished_ms if build.run.finished_ms is not None else now_ms()
    return {
        "_links": links,
        "id": str(build.number),
        "name": f"#{build.number}",
        "status": status,
        "startTimeMillis": start,
        "endTimeMillis": end,
        "durationMillis": end - start,
        "queueDurationMillis": max(0, start - build.timestamp),
        "pauseDurationMillis": 0,
        "stages": [stage_ext(ctx, build, s, full=full) for s in build.run.graph.stages()],
    }


def job_describe(ctx: RequestContext, groups: dict[str, str]) -> Response:
    with ctx.lock:
        ctx.require(ITEM_READ)
        job = job_of(ctx)
        path = f"{ctx.context_path}/{job.url_path}"
        return _json(
            {
                "_links": {"self": {"href": path + "wfapi/describe"}, "runs": {"href": path + "wfapi/runs"}},
                "name": job.name,
                "runCount": min(len(job.builds), MAX_RUNS),
            }
        )


def job_runs(ctx: RequestContext, groups: dict[str, str]) -> Response:
    full = ctx.request.args.get("fullStages") == "true"
    since = ctx.request.args.get("since")
    with ctx.lock:
        ctx.require(ITEM_READ)
        job = job_of(ctx)
        out = []
        for build in sorted(job.builds.values(), key=lambda b: b.number, reverse=True)[:MAX_RUNS]:
            out.append(run_ext(ctx, build, full=full))
            if since is not None and since == f"#{build.number}":
                break
        return _json(out)


def run_describe(ctx: RequestContext, groups: dict[str, str]) -> Response:
    with ctx.lock:
        build = build_of(ctx, groups)
        return _json(run_ext(ctx, build, full=ctx.request.args.get("fullStages") == "true"))


def _input_ext(ctx: RequestContext, build: Build, item: Any) -> dict[str, Any]:
    base = run_path(ctx, build)
    inputs = []
    for p in item.parameters:
        definition: dict[str, Any] = {"defaultVal": p.default}
        if p.type == "ChoiceParameterDefinition":
            definition = {"choices": list(p.choices), "defaultVal": p.choices[0] if p.choices else None}
        entry: dict[str, Any] = {"type": p.type, "name": p.name}
        if p.description:
            entry["description"] = p.description
        entry["definition"] = (
            definition
            if p.type
            in (
                "BooleanParameterDefinition",
                "StringParameterDefinition",
                "PasswordParameterDefinition",
                "ChoiceParameterDefinition",
            )
            else {}
        )
        inputs.append(entry)
    return {
        "id": item.id,
        "proceedText": item.ok,
        "message": item.message,
        "inputs": inputs,
        "proceedUrl": f"{base}wfapi/inputSubmit?inputId={quote(item.id)}",
        "abortUrl": f"{base}input/{item.id}/abort",
        "redirectApprovalUrl": f"{base}input/",
    }


def pending_actions(ctx: RequestContext, groups: dict[str, str]) -> Response:
    with ctx.lock:
        build = build_of(ctx, groups)
    return _json([_input_ext(ctx, build, p) for p in build.run.pending_inputs()])


def next_pending_action(ctx: RequestContext, groups: dict[str, str]) -> Response:
    with ctx.lock:
        build = build_of(ctx, groups)
    items = build.run.pending_inputs()
    return _json(_input_ext(ctx, build, items[0]) if items else None)


def input_submit(ctx: RequestContext, groups: dict[str, str]) -> Response:
    """``RunAPI.doInputSubmit``: proceed with ``json``; failures surface as 500 (ServeJson wraps them)."""
    from bridge.sandbox.jenkins.errors import Oops

    with ctx.lock:
        build = build_of(ctx, groups)
    input_id = ctx.request.args.get("inputId") or ""
    try:
        item = pending(build, input_id)
        proceed(ctx, build, item, parse_values(item, ctx.request.form.get("json") or '{"parameter":[]}'))
    except (ItemNotFound, Failure) as error:
        raise Oops(str(error)) from error
    return _json(None)


def empty_list(ctx: RequestContext, groups: dict[str, str]) -> Response:
    with ctx.lock:
        build_of(ctx, groups)
    return _json([])


def node_describe(ctx: RequestContext, groups: dict[str, str]) -> Response:
    with ctx.lock:
        build = build_of(ctx, groups)
    node = build.run.graph.get(groups["node"])
    if node is None:
        raise ItemNotFound()
    if node.function == "stage" and node.kind == "block_start" and not node.body:
        return _json(stage_ext(ctx, build, node, full=True))
    return _json(atom_ext(ctx, build, node))


def node_log(ctx: RequestContext, groups: dict[str, str]) -> Response:
    with ctx.lock:
        build = build_of(ctx, groups)
    node = build.run.graph.get(groups["node"])
    if node is None:
        raise ItemNotFound()
    text = bytes(node.log or b"").decode("utf-8", "replace")
    status = "SUCCESS" if node.error is None else ("ABORTED" if node.error_result == "ABORTED" else "FAILED")
    tail = text[-MAX_LOG:]
    return _json(
        {
            "nodeId": node.id,
            "nodeStatus": status,
            "length": len(tail),
            "hasMore": len(text) > MAX_LOG,
            "text": html.escape(tail, quote=False),
            "consoleUrl": f"{run_path(ctx, build)}execution/node/{node.id}/log",
        }
    )
