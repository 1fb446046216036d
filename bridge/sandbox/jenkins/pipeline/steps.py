"""Step implementations: what each step logs, which flow nodes it creates, how long it "takes".

Display names are the steps' descriptor names (``Shell Script``, ``Print Message``, ``Stage`` …), which
Stage View shows for atom nodes and CPS uses for ``X : Start`` / ``X : Body : Start`` block nodes.
"""

from __future__ import annotations

import hashlib
from typing import Any

from bridge.sandbox.jenkins.pipeline import sonar
from bridge.sandbox.jenkins.pipeline import syntax as s
from bridge.sandbox.jenkins.pipeline.bindings import bind
from bridge.sandbox.jenkins.pipeline.errors import StepFailure, actual_interruption
from bridge.sandbox.jenkins.pipeline.handle import RunHandle
from bridge.sandbox.jenkins.pipeline.inputs import input_step
from bridge.sandbox.jenkins.pipeline.interpreter import (
    ClosureValue,
    Frame,
    Interpreter,
    StepFunction,
    to_text,
)
from bridge.sandbox.jenkins.pipeline.nodestep import build_step, enter
from bridge.sandbox.jenkins.pipeline.parallel import run_parallel
from bridge.sandbox.jenkins.pipeline.results import worse
from bridge.sandbox.jenkins.pipeline.shellrun import generated, print_while_running, simulate
from bridge.sandbox.jenkins.pipeline.timeouts import run_timeout

ATOM_NAMES = {
    "echo": "Print Message",
    "sh": "Shell Script",
    "git": "Git",
    "checkout": "Check out from version control",
    "sleep": "Sleep",
    "error": "Error signal",
    "unstable": "Set stage result to unstable",
    "input": "Wait for interactive input",
    "isUnix": "Checks if running on a Unix-like node",
    "archiveArtifacts": "Archive the artifacts",
    "junit": "Archive JUnit-formatted test results",
    "deleteDir": "Recursively delete the current directory from the workspace",
    "writeFile": "Write file to workspace",
    "readFile": "Read file from workspace",
    "fileExists": "Verify if file exists in workspace",
    "stash": "Stash some files to be used later in the build",
    "unstash": "Restore files previously stashed",
    "cleanWs": "Delete workspace when build is done",
    "waitForQualityGate": "Wait for SonarQube analysis to be completed and return quality gate status",
    "kubernetesDeploy": "Deploy to Kubernetes",
    "milestone": "The milestone step forces all builds to go through in order",
    "getContext": "Get contextual object from internal APIs",
    "build": "Build a job",
}
BLOCK_NAMES = {
    "node": "Allocate node",
    "stage": "Stage",
    "container": "Run build steps in a container",
    "dir": "Change current directory",
    "withEnv": "Set environment variables",
    "timeout": "Enforce time limit",
    "retry": "Retry the body up to N times",
    "withCredentials": "Bind credentials to variables",
    "withSonarQubeEnv": "Prepare SonarQube Scanner environment",
    "script": "Run arbitrary Pipeline script",
    "catchError": "Catch error and set build result to failure",
    "parallel": "Execute in parallel",
}


def _first(args: list[Any], named: dict[str, Any], key: str, default: Any = None) -> Any:
    return named.get(key, args[0] if args else default)


class Steps:
    """The step table of one run."""

    def __init__(self, run: RunHandle) -> None:
        self.run = run

    def table(self) -> dict[str, StepFunction]:
        table: dict[str, StepFunction] = {name: self._noop for name in ATOM_NAMES}
        table.update(
            {
                "echo": self.echo,
                "sh": self.sh,
                "git": self.git,
                "checkout": self.git,
                "sleep": self.sleep,
                "error": self.error,
                "unstable": self.unstable,
                "input": self.input,
                "isUnix": self._true,
                "fileExists": self._false,
                "readFile": self._empty,
                "waitForQualityGate": self._quality_gate,
                "build": self.build,
            }
        )
        for name in BLOCK_NAMES:
            table[name] = self.block
        table["parallel"] = self.parallel
        return table

    # -- atoms -----------------------------------------------------------------------------------------
    def _atom(self, frame: Frame, name: str, arguments: str = "") -> Any:
        return self.run.atom(frame, name, ATOM_NAMES[name], arguments)

    def _noop(
        self, interp: Interpreter, frame: Frame, call: s.Call, args: list[Any], named: dict[str, Any]
    ) -> Any:
        self.run.finish_node(self._atom(frame, call.name))
        return None

    def _true(
        self, interp: Interpreter, frame: Frame, call: s.Call, args: list[Any], named: dict[str, Any]
    ) -> Any:
        self._noop(interp, frame, call, args, named)
        return True

    def _false(
        self, interp: Interpreter, frame: Frame, call: s.Call, args: list[Any], named: dict[str, Any]
    ) -> Any:
        self._noop(interp, frame, call, args, named)
        return False

    def _empty(
        self, interp: Interpreter, frame: Frame, call: s.Call, args: list[Any], named: dict[str, Any]
    ) -> Any:
        self._noop(interp, frame, call, args, named)
        return ""

    def _quality_gate(
        self, interp: Interpreter, frame: Frame, call: s.Call, args: list[Any], named: dict[str, Any]
    ) -> Any:
        node = self._atom(frame, call.name)
        try:
            status = sonar.quality_gate(self.run, frame, node, named)
        except StepFailure as failure:
            self.run.finish_node(node, failure)
            raise
        self.run.finish_node(node)
        return {"status": status}

    def echo(
        self, interp: Interpreter, frame: Frame, call: s.Call, args: list[Any], named: dict[str, Any]
    ) -> Any:
        message = to_text(_first(args, named, "message", ""))
        node = self._atom(frame, "echo", message)
        self.run.console.write(message, node=node, secrets=frame.secrets)
        self.run.finish_node(node)
        return None

    def sh(
        self, interp: Interpreter, frame: Frame, call: s.Call, args: list[Any], named: dict[str, Any]
    ) -> Any:
        script = to_text(_first(args, named, "script", ""))
        node = self._atom(frame, "sh", script)
        trace = simulate(script, frame.env)
        rule = self.run.sim.shell_rule(script)
        code = rule.exit_code if rule else sonar.scan(self.run, frame, script, node, trace.exit_code)
        output = rule.output if rule else ""
        for line in trace.lines:
            self.run.console.write(line, node=node, secrets=frame.secrets)
        for line in _node_output(trace.lines, frame):
            self.run.console.write(line, node=node, secrets=frame.secrets)
        if output and not named.get("returnStdout"):
            self.run.console.write(output, node=node, secrets=frame.secrets)
        try:
            seconds = rule.seconds if rule and rule.seconds is not None else self.run.sim.sh_seconds
            print_while_running(self.run, node, frame, generated(script, frame.env), seconds)
        except StepFailure as stopped:
            self.run.finish_node(node, stopped)
            raise
        if code != 0 and not named.get("returnStatus"):
            failure = StepFailure(f"script returned exit code {code}")
            self.run.finish_node(node, failure)
            raise failure
        self.run.finish_node(node)
        if named.get("returnStatus"):
            return code
        if named.get("returnStdout"):
            return output if output.endswith("\n") or not output else output + "\n"
        return None

    def git(
        self, interp: Interpreter, frame: Frame, call: s.Call, args: list[Any], named: dict[str, Any]
    ) -> Any:
        url = to_text(_first(args, named, "url", "")) if call.name == "git" else "(scm)"
        branch = to_text(named.get("branch", "master"))
        node = self._atom(frame, call.name, url)
        revision = hashlib.sha1(f"{url}#{branch}".encode()).hexdigest()  # noqa: S324 - a fake commit id
        credentials = named.get("credentialsId")
        lines = [
            "The recommended git tool is: NONE",
            f"using credential {to_text(credentials)}" if credentials else "No credentials specified",
            "Cloning the remote Git repository",
            f"Cloning repository {url}",
            f" > git init {frame.workspace} # timeout=10",
            f"Fetching upstream changes from {url}",
            f" > git fetch --tags --force --progress -- {url} +refs/heads/*:refs/remotes/origin/*"
            " # timeout=10",
            f"Checking out Revision {revision} (refs/remotes/origin/{branch})",
            f" > git checkout -f {revision} # timeout=10",
            f" > git checkout -b {branch} {revision} # timeout=10",
        ]
        for line in lines:
            self.run.console.write(line, node=node, secrets=frame.secrets)
        try:
            self.run.sleep(self.run.sim.scm_seconds, frame)
        finally:
            self.run.finish_node(node)
        frame.env.setdefault("GIT_COMMIT", revision)
        return {"GIT_COMMIT": revision, "GIT_BRANCH": f"origin/{branch}", "GIT_URL": url}

    def sleep(
        self, interp: Interpreter, frame: Frame, call: s.Call, args: list[Any], named: dict[str, Any]
    ) -> Any:
        amount = float(_first(args, named, "time", 0) or 0)
        unit = to_text(named.get("unit", "SECONDS")).upper()
        seconds = amount * {
            "MILLISECONDS": 0.001,
            "SECONDS": 1,
            "MINUTES": 60,
            "HOURS": 3600,
            "DAYS": 86400,
        }.get(unit, 1)
        node = self._atom(frame, "sleep", to_text(amount))
        self.run.console.write(f"Sleeping for {_duration(seconds)}", node=node)
        try:
            self.run.sleep(seconds, frame)
        except StepFailure as stopped:
            self.run.finish_node(node, stopped)
            raise
        self.run.finish_node(node)
        return None

    def error(
        self, interp: Interpreter, frame: Frame, call: s.Call, args: list[Any], named: dict[str, Any]
    ) -> Any:
        message = to_text(_first(args, named, "message", ""))
        node = self._atom(frame, "error", message)
        failure = StepFailure(message)
        self.run.finish_node(node, failure)
        raise failure

    def unstable(
        self, interp: Interpreter, frame: Frame, call: s.Call, args: list[Any], named: dict[str, Any]
    ) -> Any:
        message = to_text(_first(args, named, "message", ""))
        node = self._atom(frame, "unstable", message)
        self.run.console.write(f"WARNING: {message}", node=node, secrets=frame.secrets)
        node.unstable = True
        self.run.current_result = (
            "UNSTABLE" if self.run.current_result == "SUCCESS" else self.run.current_result
        )
        self.run.finish_node(node)
        return None

    def build(
        self, interp: Interpreter, frame: Frame, call: s.Call, args: list[Any], named: dict[str, Any]
    ) -> Any:
        return build_step(self.run, frame, args, named)

    def input(
        self, interp: Interpreter, frame: Frame, call: s.Call, args: list[Any], named: dict[str, Any]
    ) -> Any:
        return input_step(self.run, frame, args, named)

    # -- blocks ----------------------------------------------------------------------------------------
    def block(
        self, interp: Interpreter, frame: Frame, call: s.Call, args: list[Any], named: dict[str, Any]
    ) -> Any:
        name = call.name
        body = call.closure
        if body is None:
            raise StepFailure(
                f"{name} step must be called with a body", java_type="java.lang.IllegalStateException"
            )
        label = to_text(_first(args, named, "name", "")) if name == "stage" else None
        if name == "timeout":
            return self.timeout(frame, args, named, lambda inner: interp.call_closure(body, inner))

        leases: list[Any] = []

        def prepare(inner: Frame, start: Any) -> None:
            if name == "node":
                node_label = _first(args, named, "label", None)
                leases.append(enter(self.run, inner, start, to_text(node_label) if node_label else None))
            self._prepare(inner, start, name, args, named)

        try:
            with self.run.block(
                frame, name, BLOCK_NAMES[name], label=label, console=label, prepare=prepare
            ) as (inner, _start):
                if name == "retry":
                    return self._retry(interp, inner, body, int(_first(args, named, "count", 1)))
                if name == "catchError":
                    return self._catch_error(interp, inner, body)
                if name == "withSonarQubeEnv":
                    try:
                        return interp.call_closure(body, inner)
                    finally:
                        sonar.leave(self.run, inner, named.get("credentialsId"))
                return interp.call_closure(body, inner)
        finally:
            for lease in leases:
                lease.release()

    def _prepare(self, inner: Frame, start: Any, name: str, args: list[Any], named: dict[str, Any]) -> None:
        if name == "dir":
            path = to_text(_first(args, named, "path", ""))
            inner.workspace = path if path.startswith("/") else f"{inner.workspace}/{path}"
            inner.env["PWD"] = inner.workspace
        elif name == "withEnv":
            for pair in _first(args, named, "overrides", []) or []:
                key, _, value = to_text(pair).partition("=")
                inner.env[key] = value
        elif name == "withSonarQubeEnv":
            sonar.enter(self.run, inner, start, args, named)
        elif name == "withCredentials":
            self._bind(inner, start, _first(args, named, "bindings", []) or [])

    def timeout(self, frame: Frame, args: list[Any], named: dict[str, Any], body: Any) -> Any:
        return run_timeout(self.run, frame, args, named, body)

    def _bind(self, inner: Frame, start: Any, bindings: list[Any]) -> None:
        run = self.run
        names: list[str] = []
        key = f"{run.context.job_full_name}#{run.context.build_number}"
        for binding in bindings:
            bound = bind(binding, resolver=run.context.credentials, workspace=inner.workspace, run_key=key)
            inner.env.update(bound.variables)
            inner.secrets = (*inner.secrets, *bound.secrets)
            inner.secret_files = (*inner.secret_files, *bound.files.items())  # deleted at the block's end
            names.extend(bound.variables)
        if names:
            shown = " or ".join(f"${n}" for n in names)
            run.console.write(f"Masking supported pattern matches of {shown}", node=start)

    def _retry(self, interp: Interpreter, frame: Frame, body: s.Closure, count: int) -> Any:
        for attempt in range(1, max(count, 1) + 1):
            try:
                return interp.call_closure(body, frame)
            except StepFailure as failure:
                if actual_interruption(failure) or attempt >= count:
                    raise
                self.run.console.write(f"ERROR: {failure.message}\nRetrying")
        return None

    def _catch_error(self, interp: Interpreter, frame: Frame, body: s.Closure) -> Any:
        try:
            return interp.call_closure(body, frame)
        except StepFailure as failure:
            if actual_interruption(failure):
                raise
            self.run.console.write(failure.console_text())
            self.run.current_result = worse(self.run.current_result, failure.result)
            return None

    def parallel(
        self, interp: Interpreter, frame: Frame, call: s.Call, args: list[Any], named: dict[str, Any]
    ) -> Any:
        branches = {k: v for k, v in named.items() if isinstance(v, ClosureValue)}
        fail_fast = bool(named.get("failFast"))
        return run_parallel(
            self.run,
            frame,
            [(name, lambda f, c=c: interp.call_closure(c, f)) for name, c in branches.items()],
            fail_fast=fail_fast,
        )


def _node_output(trace: tuple[str, ...], frame: Frame) -> list[str]:
    """What ``env``/``printenv`` and ``cat FILE`` print on the node the step runs on (nothing else runs)."""
    files: dict[str, str] = {**(frame.locals.get("__node_files__") or {}), **dict(frame.secret_files)}
    out: list[str] = []
    commands = [c.split() for line in trace for c in line[2:].replace("'", "").split(";")]
    for words in (w for w in commands if w):
        if words in (["env"], ["printenv"]):
            out.extend(f"{k}={v}" for k, v in sorted(frame.env.items()))
        elif words[:1] == ["cat"]:
            for path in words[1:]:
                if path in files:
                    out.append(files[path].rstrip("\n"))
                elif path.startswith("/var/jenkins_home/"):
                    out.append(f"cat: {path}: No such file or directory")
    return out


def _duration(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{seconds:g} sec"


def step_names() -> tuple[str, ...]:
    return tuple(sorted({*ATOM_NAMES, *BLOCK_NAMES} - {"getContext"}))
