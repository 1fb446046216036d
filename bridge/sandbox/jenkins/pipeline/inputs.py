"""The ``input`` step: id rule, log lines, pause accounting and the value handed back to the script."""

from __future__ import annotations

import hashlib
from typing import Any

from bridge.sandbox.jenkins.pipeline.declarative import PARAMETER_TYPES, ParameterDef
from bridge.sandbox.jenkins.pipeline.errors import Interrupted, StepFailure
from bridge.sandbox.jenkins.pipeline.graph import now_ms
from bridge.sandbox.jenkins.pipeline.handle import PendingInput, RunHandle
from bridge.sandbox.jenkins.pipeline.interpreter import Described, Frame, to_text

DEFAULT_MESSAGE = "Pipeline has paused and needs your input before proceeding"


def input_id(message: str, explicit: str | None = None) -> str:
    """``InputStep.getId``: explicit id or md5 of the message, first letter upper-cased if it is a-z."""
    raw = explicit or hashlib.md5(message.encode("utf-8")).hexdigest()  # noqa: S324 - Jenkins' id rule
    return raw[0].upper() + raw[1:] if raw and "a" <= raw[0] <= "z" else raw


def _parameters(values: list[Any]) -> tuple[ParameterDef, ...]:
    from bridge.sandbox.jenkins.pipeline.declarative import parameter_from_literals

    out = []
    for value in values:
        if isinstance(value, Described) and value.symbol in PARAMETER_TYPES:
            out.append(parameter_from_literals(value.symbol, value.named))
    return tuple(out)


def input_step(run: RunHandle, frame: Frame, args: list[Any], named: dict[str, Any]) -> Any:
    message = to_text(named.get("message", args[0] if args else DEFAULT_MESSAGE))
    ok = to_text(named.get("ok") or "Proceed")
    submitter = to_text(named["submitter"]) if named.get("submitter") else None
    parameters = _parameters(list(named.get("parameters") or []))
    node = run.atom(frame, "input", message)
    run.console.write(
        "Input requested" if parameters else f"{message}\n{ok} or Abort", node=node, secrets=frame.secrets
    )
    pending = PendingInput(
        id=input_id(message, to_text(named["id"]) if named.get("id") else None),
        message=message,
        ok=ok,
        submitter=submitter,
        parameters=parameters,
        node_id=node.id,
        submitter_parameter=to_text(named["submitterParameter"]) if named.get("submitterParameter") else None,
    )
    decided = run.settled.get(node.id)
    if decided is not None:  # resuming after a restart: this input was answered before it
        pending.outcome, pending.user, pending.values = decided["outcome"], decided["user"], decided["values"]
    else:
        if node.paused_since is None:
            node.paused_since = now_ms()
        try:
            run.wait_input(pending, frame)
        except StepFailure as stopped:
            _unpause(node)
            run.finish_node(node, stopped)
            raise
        _unpause(node)
    if pending.outcome == "abort":
        rejected = Interrupted(f"Rejected by {pending.user}")
        run.console.write(rejected.message, node=node)
        run.finish_node(node, rejected)
        raise rejected
    run.console.write(f"Approved by {pending.user}", node=node)
    run.approvers.append(pending.user)
    run.finish_node(node)
    values = {p.name: pending.values.get(p.name, p.default) for p in parameters}
    if pending.submitter_parameter:
        values[pending.submitter_parameter] = pending.user
    if not values:
        return None
    if len(values) == 1 and not pending.submitter_parameter:
        return next(iter(values.values()))
    return values


def _unpause(node: Any) -> None:
    if node.paused_since is not None:
        node.paused_ms += now_ms() - node.paused_since
        node.paused_since = None
