"""One execution of a pipeline on a background thread: graph, console, pending inputs, interruption.

The host (the sandbox's build endpoints) creates a ``PipelineRun``, calls ``start()``, reads ``graph``,
``console``, ``inputs`` and ``result`` while it runs, and may ``interrupt()`` it (stop/term/kill) or settle
an input. Every wait inside the run (``sleep``, simulated ``sh`` time, ``input``) is on one condition
variable, so an interruption or an approval wakes it at once; ``time_scale`` 0 never waits.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

from bridge.sandbox.jenkins.pipeline.console import ConsoleLog
from bridge.sandbox.jenkins.pipeline.context import RunContext, Simulation
from bridge.sandbox.jenkins.pipeline.declarative import CompileErrors, Pipeline, Scripted
from bridge.sandbox.jenkins.pipeline.errors import (
    Interrupted,
    StepFailure,
    Suspended,
    TimeoutExceeded,
    format_compile_errors,
)
from bridge.sandbox.jenkins.pipeline.executor import execute
from bridge.sandbox.jenkins.pipeline.graph import FlowGraph, FlowNode, now_ms
from bridge.sandbox.jenkins.pipeline.handle import PendingInput, RunHandle
from bridge.sandbox.jenkins.pipeline.interpreter import Frame
from bridge.sandbox.jenkins.pipeline.vm import VirtualMachine


class StartFailure(CompileErrors):
    """The flow definition could not produce a script (an SCM Jenkinsfile not obtained): the run
    prints Jenkins's lines and fails before any step (no compile error to show)."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__([])
        self.lines = lines


class PipelineRun:
    def __init__(
        self,
        *,
        program: Pipeline | Scripted | CompileErrors,
        source: str,
        context: RunContext,
        simulation: Simulation,
        on_finish: Callable[[PipelineRun], None] | None = None,
    ) -> None:
        self.program = program
        self.source = source
        self.context = context
        self.sim = simulation
        self.on_finish = on_finish
        self.graph = FlowGraph()
        self.console = ConsoleLog()
        self.inputs: dict[str, PendingInput] = {}
        self.result: str | None = None  # final result, None while running
        self.current_result = "SUCCESS"
        self.error: StepFailure | None = None
        self.approvers: list[str] = []
        self.cond = threading.Condition()
        self._interrupt: Interrupted | None = None
        self.fired_timeouts: set[str] = set()
        self.vm = VirtualMachine(
            self.cond,
            simulation.time_scale,
            lambda: self._interrupt is not None or self.suspended,
            fast_forward=lambda: self.console.replaying,
        )
        self.analyses: list[dict[str, Any]] = []  # SonarAnalysisAction fields (pipeline/sonar.py)
        self.report_tasks: dict[str, dict[str, str]] = {}
        self.settled: dict[str, dict[str, Any]] = {}  # input node id -> decision (replayed on resume)
        self.console_start = 0  # where the program's own output begins (after the causes)
        self.suspended = False  # controller shutting down: the thread ends without touching the run
        self.on_checkpoint: Callable[[PipelineRun], None] | None = None
        self._thread: threading.Thread | None = None
        self.started_ms = 0
        self.finished_ms: int | None = None

    # -- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> None:
        self.started_ms = self.started_ms or now_ms()
        self.console_start = self.console_start or self.console.size()
        self._thread = threading.Thread(
            target=self._main, name=f"pipeline-{self.context.job_full_name}", daemon=True
        )
        self._thread.start()

    def join(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.result is not None

    @property
    def building(self) -> bool:
        return self.result is None

    def _main(self) -> None:
        task = self.vm.spawn()
        self.vm.attach(task)
        try:
            self._execute(execute)
        except Suspended:
            pass
        finally:
            self.vm.exit(task)
        if not self.suspended and self.on_finish is not None:
            self.on_finish(self)

    def _execute(self, execute: Callable[[RunHandle], None]) -> None:
        try:
            if isinstance(self.program, StartFailure):
                for line in self.program.lines:
                    self.console.write(line)
                self.current_result = "FAILURE"
            elif isinstance(self.program, CompileErrors):
                self.console.write(format_compile_errors(self.source, self.program.errors).rstrip("\n"))
                self.current_result = "FAILURE"
            else:
                execute(self)
        except Exception as unexpected:  # an engine bug must still end the build, never hang it
            self.console.write(f"{type(unexpected).__name__}: {unexpected}")
            self.current_result = "FAILURE"
        if self.suspended:
            raise Suspended()
        self.console.write(f"Finished: {self.current_result}")
        with self.cond:
            self.finished_ms = now_ms()
            self.result = self.current_result
            self.cond.notify_all()

    def suspend(self) -> None:
        """Controller shutdown: freeze the graph and log as they are and let the thread unwind quietly."""
        with self.cond:
            self.suspended = True
            self.graph.frozen = True
            self.console.frozen = True
            self.cond.notify_all()

    # -- interruption and waiting ----------------------------------------------------------------------
    def interrupt(self, message: str, *, hard: bool = False) -> None:
        """stop/term/kill: the current step ends with ABORTED; ``hard`` also skips post sections."""
        with self.cond:
            if self.result is not None or self._interrupt is not None:
                return
            self.console.write(message)
            self._interrupt = Interrupted(message)
            self._interrupt.hard = hard  # type: ignore[attr-defined]
            self.cond.notify_all()

    def check_interrupt(self) -> None:
        with self.cond:
            if self.suspended:
                raise Suspended()
            if self._interrupt is not None:
                raise self._interrupt

    @property
    def hard_killed(self) -> bool:
        return bool(self._interrupt is not None and getattr(self._interrupt, "hard", False))

    def sleep(self, seconds: float, frame: Frame | None = None) -> None:
        """Simulated time on this thread's virtual clock (paced at ``time_scale``); a stop wakes it at
        once, an enclosing ``timeout`` cuts it at its deadline."""
        deadline = frame.deadline if frame is not None else None
        if deadline is not None and deadline[1] in self.fired_timeouts:
            deadline = None  # already cancelled once: what runs on (post) gets the grace period
        cut = self.vm.sleep(seconds, deadline[0] if deadline else None)
        self.check_interrupt()
        if cut and deadline is not None:
            raise self.timed_out(deadline[1])

    def timed_out(self, owner: str) -> TimeoutExceeded:
        """``TimeoutStepExecution.cancel``: logs on the timeout step, then interrupts its body."""
        node = self.graph.get(owner)
        self.fired_timeouts.add(owner)
        self.console.write("Cancelling nested steps due to timeout", node=node)
        return TimeoutExceeded(owner)

    def wait_input(self, pending: PendingInput, frame: Frame | None = None) -> None:
        deadline = frame.deadline if frame is not None else None
        if deadline is not None and deadline[1] in self.fired_timeouts:
            deadline = None
        with self.cond:
            self.inputs[pending.id] = pending
            self.cond.notify_all()
        if self.on_checkpoint is not None and not self.console.replaying:
            self.on_checkpoint(self)  # a paused build is saved, so a restart finds it still waiting
        outcome = self.vm.wait_external(
            lambda: pending.outcome is not None, deadline[0] if deadline else None
        )
        with self.cond:
            self.inputs.pop(pending.id, None)
        if pending.outcome is None:
            if outcome == "deadline" and deadline is not None:
                raise self.timed_out(deadline[1])
            self.check_interrupt()

    def settle_input(
        self, input_id: str, *, outcome: str, user: str, values: dict[str, Any] | None = None
    ) -> bool:
        """Proceed or abort a pending input; False if no such input is pending."""
        with self.cond:
            pending = self.inputs.get(input_id)
            if pending is None or pending.outcome is not None:
                return False
            pending.values = values or {}
            pending.user = user
            pending.outcome = outcome
            self.settled[pending.node_id] = {"outcome": outcome, "user": user, "values": pending.values}
            self.cond.notify_all()
            return True

    def pending_inputs(self) -> list[PendingInput]:
        with self.cond:
            return [p for p in self.inputs.values() if p.outcome is None]

    # -- flow nodes ------------------------------------------------------------------------------------
    def atom(self, frame: Frame, function: str, display: str, arguments: str = "") -> FlowNode:
        self.check_interrupt()
        node = self.graph.add(
            kind="atom",
            function=function,
            display_name=display,
            parents=list(frame.cursor.head),
            enclosing=frame.enclosing,
            arguments=arguments,
        )
        frame.cursor.head = [node.id]
        self.console.mark(function)
        return node

    def finish_node(self, node: FlowNode, error: StepFailure | None = None) -> None:
        if self.suspended:
            raise Suspended()
        with self.graph.lock:
            if node.end_ms is None:
                node.end_ms = now_ms()
            if error is not None and node.error is None:
                node.error = (error.message, error.java_type)
                node.error_result = error.result
        if node.kind == "atom":
            self.vm.yield_turn()  # CPS switches threads between steps

    @contextlib.contextmanager
    def block(
        self,
        frame: Frame,
        function: str,
        display: str,
        *,
        label: str | None = None,
        console: str | None = None,
        prepare: Callable[[Frame, FlowNode], None] | None = None,
    ) -> Iterator[tuple[Frame, FlowNode]]:
        """A block step: start node, body start, (body), body end, end; errors are recorded on all four.

        ``prepare`` runs at step start, before the body (binding credentials, printing "Running on …");
        if it fails, the step ends there with no body, as a step failing in ``start()`` does.
        """
        self.check_interrupt()
        start = self.graph.add(
            kind="block_start",
            function=function,
            display_name=f"{display} : Start",
            parents=list(frame.cursor.head),
            enclosing=frame.enclosing,
            label=label if function == "stage" else None,
        )
        self.console.mark(function)
        inner = frame.child(cursor=frame.cursor)
        frame.cursor.head = [start.id]
        if prepare is not None:
            try:
                prepare(inner, start)
            except StepFailure as error:
                end = self.graph.add(
                    kind="block_end",
                    function=function,
                    display_name=f"{display} : End",
                    parents=[start.id],
                    enclosing=frame.enclosing,
                    start_id=start.id,
                )
                self.console.mark(f"// {function}")
                self.finish_node(start, error)
                self.finish_node(end, error)
                frame.cursor.head = [end.id]
                raise
        body = self.graph.add(
            kind="block_start",
            function=function,
            display_name=f"{display} : Body : Start",
            parents=[start.id],
            enclosing=(start.id, *frame.enclosing),
            body=True,
            start_id=start.id,
        )
        self.console.mark("{" + (f" ({console})" if console else ""))
        inner.enclosing = (body.id, start.id, *frame.enclosing)
        frame.cursor.head = [body.id]
        self.vm.yield_turn()
        failure: StepFailure | None = None
        try:
            yield inner, start
        except StepFailure as error:
            failure = error
            raise
        finally:
            self.close_block(frame, start, body, function, display, failure)

    def close_block(
        self,
        frame: Frame,
        start: FlowNode,
        body: FlowNode,
        function: str,
        display: str,
        failure: StepFailure | None,
    ) -> None:
        body_end = self.graph.add(
            kind="block_end",
            function=function,
            display_name=f"{display} : Body : End",
            parents=list(frame.cursor.head),
            enclosing=(start.id, *frame.enclosing),
            body=True,
            start_id=body.id,
        )
        self.console.mark("}")
        end = self.graph.add(
            kind="block_end",
            function=function,
            display_name=f"{display} : End",
            parents=[body_end.id],
            enclosing=frame.enclosing,
            start_id=start.id,
        )
        self.console.mark(f"// {function}")
        for node in (body_end, end, body, start):
            self.finish_node(node, failure)
        frame.cursor.head = [end.id]
