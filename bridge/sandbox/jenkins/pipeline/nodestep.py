"""``node`` (and Declarative ``agent``) executor allocation, and the ``build`` step.

``node`` is a queue task of its own (``ExecutorStepExecution$PlaceholderTask``) run as the build's
identity: the host's ``allocate`` answers a lease or the queue's ``why``; while it waits the console shows
``Still waiting to schedule task`` and the cause (printed at once here; Jenkins prints it after 15 s),
and the block waits until an executor frees up or the build is stopped — the step has no timeout.

``build job: …`` (pipeline-build-step ``BuildTriggerStepExecution``) runs on the CPS thread as the build's
identity: the host resolves the name (``Jenkins.getItem(job, upstream's parent)``, Job/Read-filtered) and
checks Job/Build, raising what Jenkins prints; then ``Scheduling project: X``, and with ``wait: true``
(the default) ``Starting building: X #N`` and the downstream result (a failure propagates unless
``propagate: false``).
"""

from __future__ import annotations

from typing import Any

from bridge.sandbox.jenkins.pipeline import syntax as s
from bridge.sandbox.jenkins.pipeline.context import NodeLease
from bridge.sandbox.jenkins.pipeline.errors import StepFailure
from bridge.sandbox.jenkins.pipeline.handle import RunHandle
from bridge.sandbox.jenkins.pipeline.interpreter import Frame, Interpreter, to_text

WORST_FIRST = ("FAILURE", "ABORTED", "NOT_BUILT", "UNSTABLE", "SUCCESS")


def _wake(run: RunHandle) -> Any:
    def wake() -> None:
        with run.cond:
            run.cond.notify_all()

    return wake


def allocate(run: RunHandle, label: str | None, start: Any) -> NodeLease:
    """A lease for ``label``, waiting (interruptibly) while the queue says why not."""
    wake = _wake(run)
    first = run.context.allocate(label, wake)
    if isinstance(first, NodeLease):
        return first
    run.console.write("Still waiting to schedule task", node=start)
    run.console.write(first, node=start)
    got: list[NodeLease] = []

    def done() -> bool:
        answer = run.context.allocate(label, wake)
        if isinstance(answer, NodeLease):
            got.append(answer)
            return True
        return False

    run.vm.wait_external(done, None)
    if got:
        return got[0]
    run.check_interrupt()
    raise StepFailure("node allocation ended without an executor")  # pragma: no cover - defensive


def enter(run: RunHandle, inner: Frame, start: Any, label: str | None) -> NodeLease:
    """Allocate, then set the workspace and the node's environment as ``node`` does."""
    lease = allocate(run, label, start)
    workspace = f"{lease.workspace}/{run.context.job_full_name.replace('/', '_')}"
    for note in lease.notes:
        run.console.write(note, node=start)
    run.console.write(f"Running on {lease.display} in {workspace}", node=start)
    inner.workspace = workspace
    inner.env.update(lease.env)
    inner.env["WORKSPACE"] = workspace
    inner.locals["__node_files__"] = dict(lease.files)
    return lease


def agent_label(agent: s.Stmt | None, interp: Interpreter, frame: Frame) -> str | None:
    """The label of a Declarative ``agent`` (``any`` → None; ``label 'x'``; ``node { label 'x' }``)."""
    if not isinstance(agent, s.ExprStmt) or not isinstance(agent.expr, s.Call):
        return None
    call = agent.expr
    if call.args and isinstance(call.args[0], s.Var):
        return None  # agent any
    stack: list[s.Stmt] = list(call.closure.body) if call.closure else []
    while stack:
        stmt = stack.pop(0)
        if isinstance(stmt, s.ExprStmt) and isinstance(stmt.expr, s.Call):
            inner = stmt.expr
            if inner.name == "label":
                value = inner.args[0] if inner.args else dict(inner.named).get("label")
                return to_text(interp.eval(value, frame)) if value is not None else None
            if inner.closure is not None:
                stack.extend(inner.closure.body)
            for key, value in inner.named:
                if key == "label":
                    return to_text(interp.eval(value, frame))
    return None


def build_step(run: RunHandle, frame: Frame, args: list[Any], named: dict[str, Any]) -> Any:
    job = to_text(named.get("job", args[0] if args else ""))
    wait = named.get("wait", True) is not False
    propagate = named.get("propagate", True) is not False
    parameters: list[tuple[str, object]] = []
    for value in named.get("parameters") or []:
        params = getattr(value, "named", None)
        if isinstance(params, dict) and "name" in params:
            parameters.append((to_text(params["name"]), params.get("value")))
    node = run.atom(frame, "build", "Build a job", job)
    wake = _wake(run)
    try:
        downstream = run.context.trigger(job, parameters, wake)
    except StepFailure as refused:
        run.finish_node(node, refused)
        raise
    run.console.write(f"Scheduling project: {downstream.display}", node=node)
    if not wait:
        run.finish_node(node)
        return None
    announced: list[int] = []

    def done() -> bool:
        number, result = downstream.state()
        if number is not None and not announced:
            announced.append(number)
        return result is not None

    run.vm.wait_external(done, None)
    number, result = downstream.state()
    if number is not None:
        run.console.write(f"Starting building: {downstream.display} #{number}", node=node)
    if result is None:
        run.finish_node(node)
        run.check_interrupt()
        return None
    if result != "SUCCESS" and propagate:
        downstream_failure = StepFailure(
            f"{downstream.display} #{number} completed with status {result} (propagate: false to ignore)"
        )
        downstream_failure.result = result if result in WORST_FIRST else "FAILURE"
        run.finish_node(node, downstream_failure)
        raise downstream_failure
    run.finish_node(node)
    return {"number": number, "result": result, "currentResult": result}
