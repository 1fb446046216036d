"""``parallel``: one body per branch, each a pipeline thread of the run's VM with its own cursor.

CPS numbers a parallel as one ``StepStartNode``, then one body start per branch (labelled ``Branch: name``)
in the order the branches are written, then the branches' nodes as the VM interleaves them (one step per
turn, see ``vm``), one body end per branch and a single ``StepEndNode`` whose parents are all the branch
ends. So node ids and the console do not depend on thread scheduling. With ``failFast`` the first failing
branch interrupts the others.
"""

from __future__ import annotations

import threading
from typing import Any

from bridge.sandbox.jenkins.pipeline.errors import StepFailure, Suspended
from bridge.sandbox.jenkins.pipeline.graph import FlowNode
from bridge.sandbox.jenkins.pipeline.handle import RunHandle
from bridge.sandbox.jenkins.pipeline.interpreter import Cursor, Frame
from bridge.sandbox.jenkins.pipeline.vm import Task


def run_parallel(run: RunHandle, frame: Frame, branches: list[tuple[str, Any]], *, fail_fast: bool) -> Any:
    """``parallel``: branch heads in order, then the branches on the VM; the end joins all branches."""
    run.check_interrupt()
    start = run.graph.add(
        kind="block_start",
        function="parallel",
        display_name="Execute in parallel : Start",
        parents=list(frame.cursor.head),
        enclosing=frame.enclosing,
    )
    run.console.mark("parallel")
    heads: list[FlowNode] = []
    for name, _body in branches:
        heads.append(
            run.graph.add(
                kind="block_start",
                function="parallel",
                display_name=f"Branch: {name}",
                parents=[start.id],
                enclosing=(start.id, *frame.enclosing),
                body=True,
                start_id=start.id,
                label=f"Branch: {name}",
            )
        )
        run.console.mark("{ (Branch: " + name + ")")
    failures: dict[str, StepFailure] = {}
    ends: dict[str, str] = {}
    parent = run.vm.current()
    tasks = [run.vm.spawn(parent.vt) for _ in branches]

    def branch(task: Task, name: str, body: Any, head: FlowNode) -> None:
        run.vm.attach(task)
        try:
            _branch(name, body, head)
        except Suspended:
            pass  # controller shutdown: the branch resumes from the saved state
        finally:
            run.vm.exit(task)

    def _branch(name: str, body: Any, head: FlowNode) -> None:
        inner = frame.child(cursor=Cursor([head.id]), enclosing=(head.id, start.id, *frame.enclosing))
        error: StepFailure | None = None
        try:
            body(inner)
        except StepFailure as failure:
            error = failure
            failures[name] = failure
            if fail_fast:
                run.interrupt(f"Failed in branch {name}")
        end = run.graph.add(
            kind="block_end",
            function="parallel",
            display_name="Execute in parallel : Body : End",
            parents=list(inner.cursor.head),
            enclosing=(start.id, *frame.enclosing),
            body=True,
            start_id=head.id,
        )
        run.console.mark("}")
        run.finish_node(end, error)
        run.finish_node(head, error)
        ends[name] = end.id

    threads = [
        threading.Thread(target=branch, args=(task, name, body, head), daemon=True)
        for task, (name, body), head in zip(tasks, branches, heads, strict=True)
    ]
    for thread in threads:
        thread.start()
    run.vm.join(tasks)
    first = next((failures[n] for n, _ in branches if n in failures), None)
    end = run.graph.add(
        kind="block_end",
        function="parallel",
        display_name="Execute in parallel : End",
        parents=[ends[n] for n, _ in branches if n in ends],
        enclosing=frame.enclosing,
        start_id=start.id,
    )
    run.console.mark("// parallel")
    run.finish_node(end, first)
    run.finish_node(start, first)
    frame.cursor.head = [end.id]
    if first is not None:
        raise first
    return None
