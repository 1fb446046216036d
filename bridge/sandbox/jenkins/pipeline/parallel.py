"""``parallel``: one body per branch, each on its own thread with its own cursor in the flow graph.

CPS numbers a parallel as one ``StepStartNode``, one body start per branch (labelled ``Branch: name``),
the branches' nodes, one body end per branch, and a single ``StepEndNode`` whose parents are all the
branch ends. With ``failFast`` the first failing branch interrupts the others.
"""

from __future__ import annotations

import threading
from typing import Any

from bridge.sandbox.jenkins.pipeline.errors import StepFailure
from bridge.sandbox.jenkins.pipeline.interpreter import Cursor, Frame
from bridge.sandbox.jenkins.pipeline.run import PipelineRun


def run_parallel(run: PipelineRun, frame: Frame, branches: list[tuple[str, Any]], *, fail_fast: bool) -> Any:
    """``parallel``: one body per branch, each on its own thread and cursor; the end joins all branches."""
    run.check_interrupt()
    start = run.graph.add(
        kind="block_start",
        function="parallel",
        display_name="Execute in parallel : Start",
        parents=list(frame.cursor.head),
        enclosing=frame.enclosing,
    )
    run.console.mark("parallel")
    failures: dict[str, StepFailure] = {}
    ends: dict[str, str] = {}
    lock = threading.Lock()

    def branch(name: str, body: Any) -> None:
        head = run.graph.add(
            kind="block_start",
            function="parallel",
            display_name=f"Branch: {name}",
            parents=[start.id],
            enclosing=(start.id, *frame.enclosing),
            body=True,
            start_id=start.id,
            label=f"Branch: {name}",
        )
        run.console.mark("{ (Branch: " + name + ")")
        inner = frame.child(cursor=Cursor([head.id]), enclosing=(head.id, start.id, *frame.enclosing))
        error: StepFailure | None = None
        try:
            body(inner)
        except StepFailure as failure:
            error = failure
            with lock:
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
        with lock:
            ends[name] = end.id

    threads = [threading.Thread(target=branch, args=(n, b), daemon=True) for n, b in branches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
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
