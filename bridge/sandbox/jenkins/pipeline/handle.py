"""The run handle: what the engine (executor, steps, ``parallel``, ``input``, ``timeout``) uses of a run.

``PipelineRun`` (in ``run``) is the one implementation; the engine types its argument with ``RunHandle``
so that it does not import ``run`` (which starts the engine), and the modules form no import cycle.
``PendingInput`` is here because the ``input`` step creates it and hands it to the run.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from bridge.sandbox.jenkins.pipeline.console import ConsoleLog
from bridge.sandbox.jenkins.pipeline.context import RunContext, Simulation
from bridge.sandbox.jenkins.pipeline.declarative import CompileErrors, ParameterDef, Pipeline, Scripted
from bridge.sandbox.jenkins.pipeline.errors import StepFailure
from bridge.sandbox.jenkins.pipeline.graph import FlowGraph, FlowNode
from bridge.sandbox.jenkins.pipeline.interpreter import Frame
from bridge.sandbox.jenkins.pipeline.vm import VirtualMachine


@dataclass
class PendingInput:
    """An ``input`` step waiting for a decision (``InputStepExecution``)."""

    id: str
    message: str
    ok: str
    submitter: str | None
    parameters: tuple[ParameterDef, ...]
    node_id: str
    submitter_parameter: str | None = None
    outcome: str | None = None  # "proceed" | "abort"
    values: dict[str, Any] = field(default_factory=dict)
    user: str = ""


class RunHandle(Protocol):
    """The attributes and operations of a running pipeline that steps read, change or call."""

    program: Pipeline | Scripted | CompileErrors
    context: RunContext
    sim: Simulation
    graph: FlowGraph
    console: ConsoleLog
    vm: VirtualMachine
    current_result: str
    error: StepFailure | None
    approvers: list[str]
    cond: threading.Condition
    settled: dict[str, dict[str, Any]]
    analyses: list[dict[str, Any]]  # SonarAnalysisAction fields, in the order the blocks ended
    report_tasks: dict[str, dict[str, str]]  # report-task.txt written by scanners: path -> properties

    @property
    def hard_killed(self) -> bool: ...

    def interrupt(self, message: str, *, hard: bool = False) -> None: ...

    def check_interrupt(self) -> None: ...

    def sleep(self, seconds: float, frame: Frame | None = None) -> None: ...

    def wait_input(self, pending: PendingInput, frame: Frame | None = None) -> None: ...

    def atom(self, frame: Frame, function: str, display: str, arguments: str = "") -> FlowNode: ...

    def finish_node(self, node: FlowNode, error: StepFailure | None = None) -> None: ...

    def block(
        self,
        frame: Frame,
        function: str,
        display: str,
        *,
        label: str | None = None,
        console: str | None = None,
        prepare: Callable[[Frame, FlowNode], None] | None = None,
    ) -> contextlib.AbstractContextManager[tuple[Frame, FlowNode]]: ...
