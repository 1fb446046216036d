"""Runs a compiled program on a ``PipelineRun``: Declarative semantics on top of the step table.

Declarative is executed the way pipeline-model-definition expands it: ``node`` for the agent, ``withEnv``
(and ``withCredentials`` for ``credentials()``) for the environment, one ``stage`` block per stage, stages
after a failure printed as skipped, and a ``Declarative: Post Actions`` stage for pipeline-level ``post``.
The first failure is printed after ``[Pipeline] End of Pipeline``, as Jenkins does.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from bridge.sandbox.jenkins.pipeline import syntax as s
from bridge.sandbox.jenkins.pipeline.bindings import bind
from bridge.sandbox.jenkins.pipeline.declarative import Pipeline, Scripted, Stage
from bridge.sandbox.jenkins.pipeline.errors import StepFailure
from bridge.sandbox.jenkins.pipeline.handle import RunHandle
from bridge.sandbox.jenkins.pipeline.interpreter import (
    SYMBOLS,
    Cursor,
    Described,
    Frame,
    Interpreter,
    to_text,
    truthy,
)
from bridge.sandbox.jenkins.pipeline.nodestep import agent_label, enter
from bridge.sandbox.jenkins.pipeline.parallel import run_parallel
from bridge.sandbox.jenkins.pipeline.results import worse
from bridge.sandbox.jenkins.pipeline.steps import Steps, step_names

WORKSPACE_ROOT = "/var/jenkins_home/workspace"
POST_ORDER = (
    "always",
    "changed",
    "fixed",
    "regression",
    "aborted",
    "failure",
    "success",
    "unstable",
    "unsuccessful",
    "notBuilt",
    "cleanup",
)


class BuildView(dict[str, Any]):
    """``currentBuild``: ``currentResult`` follows the run as it goes."""

    def __init__(self, run: RunHandle) -> None:
        super().__init__(
            number=run.context.build_number,
            displayName=f"#{run.context.build_number}",
            result=None,
            description=None,
            projectName=run.context.job_full_name.rsplit("/", 1)[-1],
        )
        self.run = run

    def get(self, key: str, default: Any = None) -> Any:
        if key == "currentResult":
            return self.run.current_result
        if key == "result" and super().get("result") is None and self.run.current_result != "SUCCESS":
            return self.run.current_result
        return super().get(key, default)


def _base_env(run: RunHandle, params: dict[str, Any]) -> dict[str, str]:
    ctx = run.context
    name = ctx.job_full_name
    env = {
        "BUILD_NUMBER": str(ctx.build_number),
        "BUILD_ID": str(ctx.build_number),
        "BUILD_DISPLAY_NAME": f"#{ctx.build_number}",
        "JOB_NAME": name,
        "JOB_BASE_NAME": name.rsplit("/", 1)[-1],
        "BUILD_TAG": f"jenkins-{name.replace('/', '-')}-{ctx.build_number}",
        "BUILD_URL": ctx.build_url,
        "JOB_URL": ctx.build_url.rstrip("/").rsplit("/", 1)[0] + "/",
        "JENKINS_URL": ctx.jenkins_url,
        "JENKINS_HOME": "/var/jenkins_home",
        "EXECUTOR_NUMBER": "0",
        "NODE_NAME": "built-in",
    }
    if ctx.branch_name:
        env["BRANCH_NAME"] = ctx.branch_name
    # Only the run's ParametersAction becomes environment variables: on the first run of a job whose
    # Jenkinsfile declares the parameters, there is none, so `sh 'echo $X'` sees no X.
    env.update({k: to_text(v) for k, v in params.items()})
    return env


def execute(run: RunHandle) -> None:
    program = run.program
    assert isinstance(program, Pipeline | Scripted)
    # `params` (workflow-cps ParamsVariable): the run's values, then the defaults of the job's parameter
    # definitions, which Declarative has already set from the Jenkinsfile (executeProperties) by now.
    params: dict[str, Any] = dict(run.context.parameter_defaults)
    if isinstance(program, Pipeline):
        params.update({p.name: p.default for p in program.parameters})
    params.update(run.context.parameters)
    workspace = f"{WORKSPACE_ROOT}/{run.context.job_full_name.replace('/', '_')}"
    frame = Frame(env=_base_env(run, dict(run.context.parameters)), cursor=Cursor([]), workspace=workspace)
    frame.env["WORKSPACE"] = workspace
    ctx = run.context
    for library in ctx.libraries:  # LibraryAdder, while the script compiles
        run.console.write(f"Loading library {library.name}@{library.version}")
    if ctx.library_error is not None:  # the build fails before the script runs
        run.error = StepFailure(ctx.library_error)
        run.current_result = "FAILURE"
        run.console.write(run.error.console_text())
        return
    interp = Interpreter(
        steps=Steps(run).table(),
        params=params,
        build=BuildView(run),
        all_step_names=step_names(),
        symbols=SYMBOLS | ctx.plugin_symbols,
        global_vars={k: v for lib in ctx.libraries for k, v in lib.variables.items()},
    )
    start = run.graph.add(kind="start", function="", display_name="Start of Pipeline", parents=[])
    run.finish_node(start)
    run.console.mark("Start of Pipeline")
    frame.cursor.head = [start.id]
    failure: StepFailure | None = None
    try:
        if isinstance(program, Scripted):
            interp.run_block(program.body, frame)
        else:
            Declarative(run, interp, program).execute(frame)
    except StepFailure as error:
        failure = error
    failure = failure or run.error
    end = run.graph.add(
        kind="end", function="", display_name="End of Pipeline", parents=list(frame.cursor.head)
    )
    run.console.mark("End of Pipeline")
    if failure is not None:
        run.error = failure
        run.current_result = worse(run.current_result, failure.result)
        run.finish_node(end, failure)
        text = failure.console_text()
        if text:
            run.console.write(text)
    else:
        run.finish_node(end)


class Declarative:
    def __init__(self, run: RunHandle, interp: Interpreter, pipeline: Pipeline) -> None:
        self.run = run
        self.interp = interp
        self.pipeline = pipeline
        self.failure: StepFailure | None = None

    def execute(self, frame: Frame) -> None:
        agent = self.pipeline.agent
        if agent is not None and _agent_none(agent):
            self._with_environment(frame, self.pipeline.environment, self._wrapped_stages_and_post)
            return

        label = agent_label(agent, self.interp, frame)
        leases: list[Any] = []

        def running_on(inner: Frame, start: Any) -> None:
            leases.append(enter(self.run, inner, start, label))

        try:
            with self.run.block(frame, "node", "Allocate node", prepare=running_on) as (inner, _start):
                self._with_environment(inner, self.pipeline.environment, self._wrapped_stages_and_post)
        finally:
            for lease in leases:
                lease.release()

    def _wrapped_stages_and_post(self, frame: Frame) -> None:
        self._in_wrappers(self.pipeline.options, frame, self._stages_and_post)

    def _in_wrappers(self, options: tuple[s.Call, ...], frame: Frame, body: Any) -> None:
        """``ModelInterpreter.inWrappers``: block-scoped options (``timeout``) wrap the body, in order."""
        wrappers = [o for o in options if o.name == "timeout"]
        if not wrappers:
            body(frame)
            return
        option, rest = wrappers[0], tuple(o for o in options if o is not wrappers[0])
        args = [self.interp.eval(a, frame) for a in option.args]
        named = {k: self.interp.eval(v, frame) for k, v in option.named}
        Steps(self.run).timeout(frame, args, named, lambda inner: self._in_wrappers(rest, inner, body))

    def _with_environment(self, frame: Frame, entries: tuple[tuple[str, s.Expr], ...], body: Any) -> None:
        if not entries:
            body(frame)
            return
        with self.run.block(frame, "withEnv", "Set environment variables") as (inner, _start):
            bindings: list[Described] = []
            for name, expr in entries:
                if isinstance(expr, s.Call) and expr.name == "credentials" and expr.target is None:
                    credentials_id = to_text(self.interp.eval(expr.args[0], inner)) if expr.args else ""
                    bindings.append(
                        Described("credentials", {"credentialsId": credentials_id, "variable": name})
                    )
                else:
                    # Environment.EnvironmentResolver.getScriptPropOrParam: a bare name is a script
                    # property (variables, env) or else a parameter, defaults included.
                    lenient = inner.child(env=inner.env, params_fallback=True)
                    inner.env[name] = to_text(self.interp.eval(expr, lenient))
            if not bindings:
                body(inner)
                return
            with self.run.block(
                inner,
                "withCredentials",
                "Bind credentials to variables",
                prepare=lambda bound, start: self._bind_environment(bound, start, bindings),
            ) as (bound, _start):
                body(bound)

    def _bind_environment(self, frame: Frame, start: Any, bindings: list[Described]) -> None:
        """``X = credentials('id')``: X (and X_USR/X_PSW for username/password) as the plugin binds them."""
        resolver = self.run.context.credentials
        for binding in bindings:
            credentials_id = binding.named["credentialsId"]
            variable = binding.named["variable"]
            found = resolver(credentials_id)
            kind = found.kind if found else "string"
            symbol = {
                "usernamePassword": "usernamePassword",
                "file": "file",
                "kubeconfig": "kubeconfigContent",
                "sshUserPrivateKey": "sshUserPrivateKey",
            }.get(kind, "string")
            named = {"credentialsId": credentials_id, "variable": variable}
            if symbol in ("usernamePassword", "sshUserPrivateKey"):
                named |= {
                    "usernameVariable": f"{variable}_USR",
                    "passwordVariable": f"{variable}_PSW",
                    "keyFileVariable": variable,
                    "passphraseVariable": f"{variable}_PSW",
                }
            bound = bind(
                Described(symbol, named),
                resolver=resolver,
                workspace=frame.workspace,
                run_key=f"{self.run.context.job_full_name}#{self.run.context.build_number}",
            )
            frame.env.update(bound.variables)
            if symbol == "usernamePassword":
                frame.env[variable] = (
                    f"{bound.variables[f'{variable}_USR']}:{bound.variables[f'{variable}_PSW']}"
                )
                bound = type(bound)(bound.variables, (*bound.secrets, frame.env[variable]))
            frame.secrets = (*frame.secrets, *bound.secrets)

    def _stages_and_post(self, frame: Frame) -> None:
        self._stages(self.pipeline.stages, frame)
        if self.pipeline.post and not self.run.hard_killed:
            with self.run.block(
                frame,
                "stage",
                "Stage",
                label="Declarative: Post Actions",
                console="Declarative: Post Actions",
            ) as (inner, _start):
                self._post(self.pipeline.post, inner, self.run.current_result)
        if self.failure is not None:
            raise self.failure

    def _stages(self, stages: tuple[Stage, ...], frame: Frame) -> None:
        for stage in stages:
            if self.run.hard_killed:
                return
            try:
                self._stage(stage, frame)
            except StepFailure as error:
                self.failure = self.failure or error
                self.run.current_result = worse(self.run.current_result, error.result)

    def _stage(self, stage: Stage, frame: Frame) -> None:
        run = self.run
        with run.block(frame, "stage", "Stage", label=stage.name, console=stage.name) as (inner, start):
            if self.failure is not None or run.current_result in ("FAILURE", "ABORTED"):
                self._skip(inner, start, stage, "earlier failure(s)", "SKIPPED_FOR_FAILURE")
                return
            if stage.when and not all(self._condition(c, inner) for c in stage.when):
                self._skip(inner, start, stage, "when conditional", "SKIPPED_FOR_CONDITIONAL")
                return
            self._in_wrappers(
                stage.options,
                inner,
                lambda wrapped: self._with_environment(
                    wrapped, stage.environment, lambda f: self._stage_body(stage, f)
                ),
            )

    def _skip(self, frame: Frame, start: Any, stage: Stage, why: str, tag: str) -> None:
        self.run.console.write(f'Stage "{stage.name}" skipped due to {why}')
        start.tags["STAGE_STATUS"] = tag
        self.run.finish_node(self.run.atom(frame, "getContext", "Get contextual object from internal APIs"))

    def _stage_body(self, stage: Stage, frame: Frame) -> None:
        failure: StepFailure | None = None
        try:
            if stage.steps is not None:
                self.interp.run_block(stage.steps, frame)
            elif stage.parallel:
                branches = [(sub.name, lambda f, sub=sub: self._branch(sub, f)) for sub in stage.parallel]
                run_parallel(self.run, frame, branches, fail_fast=stage.fail_fast)
            else:
                nested = Declarative(self.run, self.interp, self.pipeline)
                nested._stages(stage.stages, frame)
                if nested.failure is not None:
                    raise nested.failure
        except StepFailure as error:
            failure = error
        if stage.post and not self.run.hard_killed:
            result = worse(self.run.current_result, failure.result) if failure else self.run.current_result
            self._post(stage.post, frame, result)
        if failure is not None:
            raise failure

    def _branch(self, stage: Stage, frame: Frame) -> None:
        nested = Declarative(self.run, self.interp, self.pipeline)
        nested._stage(stage, frame)

    def _post(self, post: dict[str, tuple[s.Stmt, ...]], frame: Frame, result: str) -> None:
        previous = self.run.context.previous_result
        applies = {
            "always": True,
            "changed": previous is not None and previous != result,
            "fixed": result == "SUCCESS" and previous in ("FAILURE", "UNSTABLE"),
            "regression": previous == "SUCCESS" and result in ("FAILURE", "UNSTABLE", "ABORTED"),
            "aborted": result == "ABORTED",
            "failure": result == "FAILURE",
            "success": result == "SUCCESS",
            "unstable": result == "UNSTABLE",
            "unsuccessful": result != "SUCCESS",
            "notBuilt": result == "NOT_BUILT",
            "cleanup": True,
        }
        for condition in POST_ORDER:
            if condition in post and applies[condition]:
                try:
                    self.interp.run_block(post[condition], frame)
                except StepFailure as error:
                    self.failure = self.failure or error
                    self.run.current_result = worse(self.run.current_result, error.result)

    def _condition(self, stmt: s.Stmt, frame: Frame) -> bool:
        if not (isinstance(stmt, s.ExprStmt) and isinstance(stmt.expr, s.Call)):
            return truthy(self.interp.run_statement(stmt, frame))
        call = stmt.expr
        nested = call.closure.body if call.closure else ()
        args = [self.interp.eval(a, frame) for a in call.args]
        named = {k: self.interp.eval(v, frame) for k, v in call.named}
        first = to_text(named.get("pattern", args[0] if args else ""))
        env = frame.env
        if call.name == "expression":
            return truthy(self.interp.call_closure(call.closure, frame)) if call.closure else False
        if call.name == "not":
            return not all(self._condition(c, frame) for c in nested)
        if call.name == "allOf":
            return all(self._condition(c, frame) for c in nested)
        if call.name == "anyOf":
            return any(self._condition(c, frame) for c in nested)
        if call.name == "branch":
            return "BRANCH_NAME" in env and fnmatch.fnmatchcase(env["BRANCH_NAME"], first)
        if call.name == "environment":
            return env.get(to_text(named.get("name"))) == to_text(named.get("value"))
        if call.name == "tag":
            return "TAG_NAME" in env and fnmatch.fnmatchcase(env["TAG_NAME"], first or "*")
        if call.name == "buildingTag":
            return "TAG_NAME" in env
        if call.name == "changeRequest":
            return "CHANGE_ID" in env
        if call.name == "equals":
            return bool(named.get("expected") == named.get("actual"))
        if call.name == "triggeredBy":
            return any(first in cause for cause in self.run.context.causes)
        if call.name in ("beforeAgent", "beforeInput", "beforeOptions"):
            return True
        raise self.interp.no_such_method(call.name)


def _agent_none(agent: s.Stmt) -> bool:
    return (
        isinstance(agent, s.ExprStmt)
        and isinstance(agent.expr, s.Call)
        and len(agent.expr.args) == 1
        and isinstance(agent.expr.args[0], s.Var)
        and agent.expr.args[0].name == "none"
    )
