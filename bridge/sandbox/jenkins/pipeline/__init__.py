"""Pipeline simulation for the sandbox Jenkins: a Jenkinsfile parser and an engine that "runs" it.

``compile_program`` parses and validates a Jenkinsfile (a compile error is returned, not raised, because
Jenkins turns it into a failed build); ``PipelineRun`` executes the result on a background thread, building
the flow graph, the console and per-node logs, and pausing on ``input`` until the host settles it.
"""

from __future__ import annotations

from bridge.sandbox.jenkins.pipeline.context import (
    CredentialValue,
    Downstream,
    NodeLease,
    RunContext,
    ShellRule,
    Simulation,
)
from bridge.sandbox.jenkins.pipeline.declarative import (
    CompileErrors,
    ParameterDef,
    Pipeline,
    Scripted,
    compile_pipeline,
)
from bridge.sandbox.jenkins.pipeline.handle import PendingInput
from bridge.sandbox.jenkins.pipeline.inputs import input_id
from bridge.sandbox.jenkins.pipeline.run import PipelineRun

__all__ = [
    "CompileErrors",
    "CredentialValue",
    "Downstream",
    "NodeLease",
    "ParameterDef",
    "PendingInput",
    "Pipeline",
    "PipelineRun",
    "RunContext",
    "Scripted",
    "ShellRule",
    "Simulation",
    "compile_program",
    "input_id",
]


def compile_program(source: str) -> Pipeline | Scripted | CompileErrors:
    try:
        return compile_pipeline(source)
    except CompileErrors as errors:
        return errors
