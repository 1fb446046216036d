"""Declarative Pipeline model: the ``pipeline { … }`` tree validated and turned into plain data.

Validation follows pipeline-model-definition's wording (``Missing required section "stages"``, ``Unknown stage
section "x". …``) and all errors are collected, as Jenkins reports them together. A script whose only
top-level statement is not ``pipeline { }`` is a scripted pipeline: it is run as plain statements.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bridge.sandbox.jenkins.pipeline import syntax as s
from bridge.sandbox.jenkins.pipeline.errors import CompileError
from bridge.sandbox.jenkins.pipeline.parser import parse_groovy

TOP_SECTIONS = frozenset(
    {"agent", "environment", "options", "parameters", "post", "stages", "triggers", "tools", "libraries"}
)
STAGE_SECTIONS = frozenset(
    {
        "agent",
        "environment",
        "options",
        "when",
        "steps",
        "parallel",
        "stages",
        "post",
        "input",
        "tools",
        "failFast",
    }
)
POST_CONDITIONS = (
    "always",
    "changed",
    "fixed",
    "regression",
    "aborted",
    "success",
    "unsuccessful",
    "unstable",
    "failure",
    "notBuilt",
    "cleanup",
)
PARAMETER_TYPES = {
    "string": "StringParameterDefinition",
    "text": "TextParameterDefinition",
    "choice": "ChoiceParameterDefinition",
    "booleanParam": "BooleanParameterDefinition",
    "password": "PasswordParameterDefinition",
}


@dataclass(frozen=True)
class ParameterDef:
    """A build or input parameter; ``type`` is the Jenkins class simple name."""

    type: str
    name: str
    default: str | bool = ""
    description: str = ""
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stage:
    name: str
    line: int
    steps: tuple[s.Stmt, ...] | None = None
    parallel: tuple[Stage, ...] = ()
    stages: tuple[Stage, ...] = ()
    when: tuple[s.Stmt, ...] = ()
    environment: tuple[tuple[str, s.Expr], ...] = ()
    options: tuple[s.Call, ...] = ()
    post: dict[str, tuple[s.Stmt, ...]] = field(default_factory=dict)
    fail_fast: bool = False


@dataclass(frozen=True)
class Pipeline:
    agent: s.Stmt | None
    stages: tuple[Stage, ...]
    parameters: tuple[ParameterDef, ...] = ()
    environment: tuple[tuple[str, s.Expr], ...] = ()
    options: tuple[s.Call, ...] = ()
    post: dict[str, tuple[s.Stmt, ...]] = field(default_factory=dict)

    @property
    def disable_concurrent_builds(self) -> bool:
        return any(o.name == "disableConcurrentBuilds" for o in self.options)


@dataclass(frozen=True)
class Scripted:
    body: tuple[s.Stmt, ...]


def _section(stmt: s.Stmt) -> s.Call | None:
    if isinstance(stmt, s.ExprStmt) and isinstance(stmt.expr, s.Call) and stmt.expr.target is None:
        return stmt.expr
    return None


def _chained(stmt: s.Stmt) -> bool:
    """``a {…} b {…}`` on one line: Groovy reads ``a({…}).b({…})`` (a command chain)."""
    return (
        isinstance(stmt, s.ExprStmt)
        and isinstance(stmt.expr, s.Call)
        and isinstance(stmt.expr.target, s.Call)
    )


def _literal(expr: s.Expr | None) -> object:
    if isinstance(expr, s.Literal):
        return expr.value
    if isinstance(expr, s.ListLit):
        return [_literal(i) for i in expr.items]
    return None


def _arg(call: s.Call, name: str, position: int = 0) -> s.Expr | None:
    for key, value in call.named:
        if key == name:
            return value
    return call.args[position] if len(call.args) > position else None


class _Builder:
    def __init__(self) -> None:
        self.errors: list[CompileError] = []

    def error(self, node: s.Node, message: str) -> None:
        self.errors.append(CompileError(message, node.line, node.column))

    def pipeline(self, call: s.Call) -> Pipeline | None:
        sections: dict[str, s.Call] = {}
        for stmt in call.closure.body if call.closure else ():
            section = _section(stmt)
            if section is None or section.name not in TOP_SECTIONS:
                name = section.name if section else type(stmt).__name__
                self.error(stmt, f'Undefined section "{name}"')
                continue
            sections[section.name] = section
        if "stages" not in sections:
            self.error(call, 'Missing required section "stages"')
        if "agent" not in sections:
            self.error(call, 'Missing required section "agent"')
        stages = self.stages(sections["stages"]) if "stages" in sections else ()
        agent = sections.get("agent")
        result = Pipeline(
            agent=s.ExprStmt(agent, line=agent.line, column=agent.column) if agent else None,
            stages=stages,
            parameters=self.parameters(sections.get("parameters")),
            environment=self.environment(sections.get("environment")),
            options=self.options(sections.get("options")),
            post=self.post(sections.get("post")),
        )
        return None if self.errors else result

    def stages(self, call: s.Call) -> tuple[Stage, ...]:
        out = []
        for stmt in call.closure.body if call.closure else ():
            section = _section(stmt)
            if section is None or section.name != "stage":
                self.error(stmt, "Expected a stage")
                continue
            out.append(self.stage(section))
        if not out:
            self.error(call, "No stages specified")
        return tuple(out)

    def stage(self, call: s.Call) -> Stage:
        name_expr = _arg(call, "name")
        name = str(_literal(name_expr)) if isinstance(name_expr, s.Literal) else ""
        if not name:
            self.error(call, "Stage name must be a string literal")
        parts: dict[str, s.Call] = {}
        for stmt in call.closure.body if call.closure else ():
            section = _section(stmt)
            if _chained(stmt):
                # ModelParser.parseMethodName: a call on another call's result is no section name.
                self.error(stmt, "Expected a symbol")
                section = s.Call(None, "error", (), (), None, line=stmt.line, column=stmt.column)
            if section is None or section.name not in STAGE_SECTIONS:
                label = section.name if section else type(stmt).__name__
                self.error(  # reported at the stage, as ModelParser.parseStage does
                    call,
                    f'Unknown stage section "{label}". Starting with version 0.5, steps in a stage must be'
                    " in a"
                    " \u2018steps\u2019 block.",
                )
                continue
            parts[section.name] = section
        bodies = [k for k in ("steps", "parallel", "stages") if k in parts]
        if not bodies:
            self.error(call, f'Expected one of "steps", "stages", or "parallel" for stage "{name}"')
        elif len(bodies) > 1:
            self.error(call, 'Only one of "parallel", "stages", or "steps" allowed for stage "' + name + '"')
        steps = parts.get("steps")
        fail_fast = parts.get("failFast")
        return Stage(
            name=name,
            line=call.line,
            steps=(steps.closure.body if steps.closure else ()) if steps else None,
            parallel=self.stages(parts["parallel"]) if "parallel" in parts else (),
            stages=self.stages(parts["stages"]) if "stages" in parts else (),
            when=parts["when"].closure.body if "when" in parts and parts["when"].closure else (),
            environment=self.environment(parts.get("environment")),
            options=self.options(parts.get("options")),
            post=self.post(parts.get("post")),
            fail_fast=bool(fail_fast and _literal(_arg(fail_fast, "value")) is True),
        )

    def environment(self, call: s.Call | None) -> tuple[tuple[str, s.Expr], ...]:
        out = []
        for stmt in call.closure.body if call and call.closure else ():
            if isinstance(stmt, s.Assign) and isinstance(stmt.target, s.Var) and stmt.value is not None:
                out.append((stmt.target.name, stmt.value))
            else:
                self.error(stmt, "Expected name=value pairs")
        return tuple(out)

    def options(self, call: s.Call | None) -> tuple[s.Call, ...]:
        out = []
        for stmt in call.closure.body if call and call.closure else ():
            section = _section(stmt)
            if section is None:
                self.error(stmt, "Options cannot be defined as maps")
                continue
            out.append(section)
        return tuple(out)

    def parameters(self, call: s.Call | None) -> tuple[ParameterDef, ...]:
        out = []
        for stmt in call.closure.body if call and call.closure else ():
            section = _section(stmt)
            if section is None or section.name not in PARAMETER_TYPES:
                self.error(stmt, f'Invalid parameter type "{section.name if section else "?"}"')
                continue
            definition = parameter_from_call(section.name, dict(section.named))
            if definition is None:
                self.error(stmt, "Parameter values must be literals")
            else:
                out.append(definition)
        return tuple(out)

    def post(self, call: s.Call | None) -> dict[str, tuple[s.Stmt, ...]]:
        out: dict[str, tuple[s.Stmt, ...]] = {}
        for stmt in call.closure.body if call and call.closure else ():
            section = _section(stmt)
            if section is None or section.name not in POST_CONDITIONS:
                valid = ", ".join(POST_CONDITIONS)
                label = section.name if section else "?"
                self.error(stmt, f'Invalid condition "{label}" - valid conditions are [{valid}]')
                continue
            out[section.name] = section.closure.body if section.closure else ()
        return out


def parameter_from_call(kind: str, named: dict[str, s.Expr]) -> ParameterDef | None:
    """``string(name: …, defaultValue: …)`` and friends, from literal arguments."""
    values = {k: _literal(v) for k, v in named.items()}
    if not isinstance(values.get("name"), str):
        return None
    return parameter_from_literals(kind, values)


def parameter_from_literals(kind: str, values: dict[str, object]) -> ParameterDef:
    name = str(values.get("name") or "")
    description = str(values.get("description") or "")
    if kind == "choice":
        raw = values.get("choices")
        choices = tuple(str(c) for c in raw) if isinstance(raw, list) else tuple(str(raw or "").splitlines())
        return ParameterDef(
            "ChoiceParameterDefinition", name, choices[0] if choices else "", description, choices
        )
    default = values.get("defaultValue", False if kind == "booleanParam" else "")
    if kind == "booleanParam":
        return ParameterDef("BooleanParameterDefinition", name, default is True, description)
    return ParameterDef(PARAMETER_TYPES[kind], name, "" if default is None else str(default), description)


def compile_pipeline(source: str) -> Pipeline | Scripted:
    """Parse and validate a Jenkinsfile; raises ``CompileErrors`` listing every problem found."""
    try:
        body = parse_groovy(source)
    except CompileError as error:
        raise CompileErrors([error]) from error
    roots = [st for st in body if (c := _section(st)) is not None and c.name == "pipeline"]
    if not roots:
        return Scripted(body)
    builder = _Builder()
    if len(body) > 1:
        for stmt in body:
            if stmt is not roots[0]:
                builder.error(stmt, "pipeline block must be the only top-level statement")
    call = _section(roots[0])
    assert call is not None
    if call.closure is None:
        builder.error(call, 'Missing required section "stages"')
    pipeline = builder.pipeline(call)
    if builder.errors or pipeline is None:
        raise CompileErrors(builder.errors)
    return pipeline


class CompileErrors(Exception):
    def __init__(self, errors: list[CompileError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors
