"""A run as saved data, and back: what survives a controller restart.

Jenkins keeps a build's ``build.xml``, ``log`` and flow graph on disk, and a running Pipeline's program
state (``program.dat``). After a restart a finished build reads back as it was; a running one *resumes*:
"Resuming build at <date> after Jenkins restart" is logged, the program continues from its last checkpoint,
and an ``input`` step is still waiting (and can be answered). The sandbox has no program state to save,
but its runs are deterministic, so it resumes by re-executing the program in fast-forward: nodes it
creates again are the saved ones (``FlowGraph.restore``), output identical to the saved log is not
written twice (``ConsoleLog.restore``), simulated waits take no real time while replaying, and inputs that
were answered before the restart are answered the same way (``PipelineRun.settled``). The first thing not
in the saved state — the step that was running, or the pending ``input`` — continues for real.
"""

from __future__ import annotations

import base64
import dataclasses
import time
from collections.abc import Callable
from typing import Any

from bridge.sandbox.jenkins.pipeline.context import RunContext, Simulation
from bridge.sandbox.jenkins.pipeline.declarative import CompileErrors, Pipeline, Scripted
from bridge.sandbox.jenkins.pipeline.graph import FlowNode
from bridge.sandbox.jenkins.pipeline.run import PipelineRun


def snapshot(run: PipelineRun) -> dict[str, Any]:
    with run.graph.lock:
        nodes = [_node_data(n) for n in run.graph.ordered()]
    return {
        "console": _b64(run.console.raw()),
        "console_start": run.console_start,
        "nodes": nodes,
        "settled": dict(run.settled),
        "result": run.result,
        "current_result": run.current_result,
        "started_ms": run.started_ms,
        "finished_ms": run.finished_ms,
        "approvers": list(run.approvers),
        "analyses": [dict(a) for a in run.analyses],
    }


def restore(
    data: dict[str, Any],
    *,
    program: Pipeline | Scripted | CompileErrors,
    source: str,
    context: RunContext,
    simulation: Simulation,
    on_finish: Callable[[PipelineRun], None] | None = None,
) -> PipelineRun:
    """A saved run: finished ones as they were; a running one resumed (its thread started here)."""
    run = PipelineRun(
        program=program, source=source, context=context, simulation=simulation, on_finish=on_finish
    )
    run.graph.restore([_node(n) for n in data["nodes"]])
    run.started_ms = data["started_ms"]
    run.console_start = data["console_start"]
    raw = base64.b64decode(data["console"])
    if data["result"] is not None:
        run.console.restore(raw)
        run.result = run.current_result = data["result"]
        run.finished_ms = data["finished_ms"]
        run.approvers = list(data["approvers"])
        run.analyses = [dict(a) for a in data.get("analyses", ())]
        return run
    run.settled = dict(data["settled"])
    run.console.restore(raw, replay_from=data["console_start"])
    stamp = time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime())  # java.util.Date.toString
    run.console.append_raw(f"Resuming build at {stamp} after Jenkins restart\n".encode())
    run.start()
    return run


def _node_data(node: FlowNode) -> dict[str, Any]:
    data = dataclasses.asdict(node)
    data["log"] = None if node.log is None else _b64(bytes(node.log))
    return data


def _node(data: dict[str, Any]) -> FlowNode:
    fields = dict(data)
    fields["log"] = None if data["log"] is None else bytearray(base64.b64decode(data["log"]))
    fields["enclosing"] = tuple(data["enclosing"])
    fields["error"] = tuple(data["error"]) if data["error"] is not None else None
    return FlowNode(**fields)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
