"""Evaluates the Groovy subset: expressions, GStrings, ``script { }`` statements, and dispatch to steps.

Names resolve as in a CPS script: local variables, then ``env``/``params``/``currentBuild``, then
environment variables, then parameters; anything else is Groovy's ``MissingPropertyException``. A call
to a name that is neither a step nor a local closure is ``No such DSL method …``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from bridge.sandbox.jenkins.pipeline import syntax as s
from bridge.sandbox.jenkins.pipeline.errors import StepFailure

if TYPE_CHECKING:
    from bridge.sandbox.jenkins.pipeline.library import GlobalVar

# Argument-building functions (credential bindings, parameter definitions, SCM) are symbols, not steps.
SYMBOLS = frozenset(
    {
        "usernamePassword",
        "string",
        "file",
        "sshUserPrivateKey",
        "text",
        "choice",
        "booleanParam",
        "password",
        "credentials",
    }
)


class MissingProperty(StepFailure):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"No such property: {name} for class: groovy.lang.Binding",
            java_type="groovy.lang.MissingPropertyException",
        )


@dataclass(frozen=True)
class Described:
    """``string(credentialsId: 'x', variable: 'Y')``: a symbol call, interpreted by the step receiving it."""

    symbol: str
    named: dict[str, Any]
    args: tuple[Any, ...] = ()


@dataclass
class ClosureValue:
    closure: s.Closure
    frame: Frame


@dataclass
class Cursor:
    """Where the next flow node attaches: the ids of its parents."""

    head: list[str]


@dataclass
class Frame:
    """One thread of pipeline execution: environment, masked secrets, enclosing blocks, local variables."""

    env: dict[str, str]
    cursor: Cursor
    secrets: tuple[str, ...] = ()
    secret_files: tuple[tuple[str, str], ...] = ()  # withCredentials files of the enclosing blocks
    enclosing: tuple[str, ...] = ()
    locals: dict[str, Any] = field(default_factory=dict)
    workspace: str = ""
    params_fallback: bool = False  # Declarative `environment` values: bare names may be parameters
    deadline: tuple[float, str] | None = None  # innermost `timeout`: (virtual seconds, its start node id)

    def child(self, **changes: Any) -> Frame:
        changes.setdefault("env", dict(self.env))
        return replace(self, **changes)


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value


StepFunction = Callable[["Interpreter", Frame, s.Call, list[Any], dict[str, Any]], Any]


def truthy(value: Any) -> bool:
    """Groovy truth: null, false, 0, empty strings and collections are false."""
    return bool(value)


def to_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(to_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "[" + ", ".join(f"{k}:{to_text(v)}" for k, v in value.items()) + "]"
    return str(value)


class Interpreter:
    """Evaluates expressions and statements; ``steps`` maps step names to their implementations."""

    def __init__(
        self,
        *,
        steps: dict[str, StepFunction],
        params: dict[str, Any],
        build: dict[str, Any],
        all_step_names: tuple[str, ...],
        symbols: frozenset[str] = SYMBOLS,
        global_vars: Mapping[str, GlobalVar] | None = None,
    ) -> None:
        self.steps = steps
        self.params = params
        self.build = build
        self.all_step_names = all_step_names
        self.symbols = symbols
        self.global_vars = dict(global_vars or {})

    # -- statements ------------------------------------------------------------------------------------
    def run_block(self, body: tuple[s.Stmt, ...], frame: Frame) -> Any:
        """Run statements; the value is the last expression statement's (Groovy closure semantics)."""
        value: Any = None
        for stmt in body:
            value = self.run_statement(stmt, frame)
        return value

    def call_closure(self, closure: ClosureValue | s.Closure, frame: Frame, *args: Any) -> Any:
        body = closure.closure if isinstance(closure, ClosureValue) else closure
        inner = frame.child(env=frame.env, locals=dict(frame.locals))
        for name, value in zip(body.params, args, strict=False):
            inner.locals[name] = value
        try:
            return self.run_block(body.body, inner)
        except _Return as ret:
            return ret.value
        finally:
            for key in frame.locals:
                if key in inner.locals:
                    frame.locals[key] = inner.locals[key]

    def run_statement(self, stmt: s.Stmt, frame: Frame) -> Any:
        if isinstance(stmt, s.ExprStmt):
            return self.eval(stmt.expr, frame, statement=True)
        if isinstance(stmt, s.Assign):
            return self._assign(stmt, frame)
        if isinstance(stmt, s.If):
            branch = stmt.then if truthy(self.eval(stmt.condition, frame)) else stmt.otherwise
            return self.run_block(branch, frame)
        if isinstance(stmt, s.Return):
            raise _Return(None if stmt.value is None else self.eval(stmt.value, frame))
        return self._try(stmt, frame)

    def _assign(self, stmt: s.Assign, frame: Frame) -> Any:
        value = None if stmt.value is None else self.eval(stmt.value, frame)
        target = stmt.target
        if stmt.op == "+=":
            value = self._binary("+", self.eval(target, frame), value)
        if isinstance(target, s.Var):
            frame.locals[target.name] = value
        elif isinstance(target, s.Prop) and isinstance(target.target, s.Var) and target.target.name == "env":
            frame.env[target.name] = to_text(value)
        elif (
            isinstance(target, s.Prop)
            and isinstance(target.target, s.Var)
            and target.target.name == "currentBuild"
        ):
            self.build[target.name] = value
        elif isinstance(target, s.Index | s.Prop):
            container = self.eval(target.target, frame)
            key: Any = self.eval(target.key, frame) if isinstance(target, s.Index) else target.name
            if isinstance(container, dict) or (isinstance(container, list) and isinstance(key, int)):
                container[key] = value
        return value

    def _try(self, stmt: s.Try, frame: Frame) -> Any:
        from bridge.sandbox.jenkins.pipeline.errors import actual_interruption

        try:
            return self.run_block(stmt.body, frame)
        except StepFailure as failure:
            if stmt.catch_name is None or actual_interruption(failure):
                raise
            frame.locals[stmt.catch_name] = failure.message
            return self.run_block(stmt.catch_body, frame)
        finally:
            self.run_block(stmt.finally_body, frame)

    # -- expressions -----------------------------------------------------------------------------------
    def eval(self, expr: s.Expr, frame: Frame, *, statement: bool = False) -> Any:
        if isinstance(expr, s.Literal):
            return expr.value
        if isinstance(expr, s.GString):
            return "".join(p if isinstance(p, str) else to_text(self.eval(p, frame)) for p in expr.parts)
        if isinstance(expr, s.Var):
            return self.lookup(expr.name, frame)
        if isinstance(expr, s.Prop):
            return self._property(self.eval(expr.target, frame), expr, frame)
        if isinstance(expr, s.Index):
            return self._index(self.eval(expr.target, frame), self.eval(expr.key, frame))
        if isinstance(expr, s.Closure):
            return ClosureValue(expr, frame)
        if isinstance(expr, s.ListLit):
            return [self.eval(i, frame) for i in expr.items]
        if isinstance(expr, s.MapLit):
            return {k: self.eval(v, frame) for k, v in expr.entries}
        if isinstance(expr, s.Unary):
            value = self.eval(expr.operand, frame)
            return (not truthy(value)) if expr.op == "!" else -value
        if isinstance(expr, s.Ternary):
            return self.eval(expr.then if truthy(self.eval(expr.condition, frame)) else expr.otherwise, frame)
        if isinstance(expr, s.Binary):
            return self._binary_expr(expr, frame)
        return self._call(expr, frame)

    def lookup(self, name: str, frame: Frame) -> Any:
        if name in frame.locals:
            return frame.locals[name]
        if name == "env":
            return frame.env
        if name == "params":
            return self.params
        if name == "currentBuild":
            return self.build
        if name in frame.env:
            return frame.env[name]
        if frame.params_fallback and name in self.params:
            return self.params[name]
        if name == "scm":
            return {"$class": "GitSCM"}
        raise MissingProperty(name)

    def _property(self, target: Any, expr: s.Prop, frame: Frame) -> Any:
        if target is None:
            if expr.safe:
                return None
            raise StepFailure(
                f"Cannot get property '{expr.name}' on null object",
                java_type="java.lang.NullPointerException",
            )
        if target is frame.env:
            return frame.env.get(expr.name)
        if isinstance(target, dict):
            return target.get(expr.name)
        if isinstance(target, str) and expr.name == "length":
            return len(target)
        raise MissingProperty(expr.name)

    @staticmethod
    def _index(target: Any, key: Any) -> Any:
        if isinstance(target, dict):
            return target.get(key)
        if isinstance(target, list | str) and isinstance(key, int):
            return target[key] if -len(target) <= key < len(target) else None
        return None

    def _binary_expr(self, expr: s.Binary, frame: Frame) -> Any:
        if expr.op == "&&":
            return truthy(self.eval(expr.left, frame)) and truthy(self.eval(expr.right, frame))
        if expr.op == "||":
            return truthy(self.eval(expr.left, frame)) or truthy(self.eval(expr.right, frame))
        if expr.op == "?:":
            left = self.eval(expr.left, frame)
            return left if truthy(left) else self.eval(expr.right, frame)
        return self._binary(expr.op, self.eval(expr.left, frame), self.eval(expr.right, frame))

    @staticmethod
    def _binary(op: str, left: Any, right: Any) -> Any:
        import re

        if op == "==":
            return left == right
        if op == "!=":
            return left != right
        if op == "=~":
            return re.search(to_text(right), to_text(left)) is not None
        if op == "==~":
            return re.fullmatch(to_text(right), to_text(left)) is not None
        if op == "in":
            return left in right if isinstance(right, list | dict | str) else False
        if op == "+" and (isinstance(left, str) or isinstance(right, str)):
            return to_text(left) + to_text(right)
        try:
            return {
                "+": lambda: left + right,
                "-": lambda: left - right,
                "*": lambda: left * right,
                "/": lambda: left / right,
                "%": lambda: left % right,
                "<": lambda: left < right,
                ">": lambda: left > right,
                "<=": lambda: left <= right,
                ">=": lambda: left >= right,
            }[op]()
        except (TypeError, ZeroDivisionError) as error:
            raise StepFailure(str(error), java_type="groovy.lang.MissingMethodException") from error

    def _call(self, call: s.Call, frame: Frame) -> Any:
        if call.target is not None:
            return self._method(self.eval(call.target, frame), call, frame)
        args = [self.eval(a, frame) for a in call.args]
        named = {k: self.eval(v, frame) for k, v in call.named}
        local = frame.locals.get(call.name)
        if isinstance(local, ClosureValue):
            return self.call_closure(local, frame, *args)
        variable = self.global_vars.get(call.name)
        if variable is not None:
            if call.closure is not None:
                args.append(ClosureValue(call.closure, frame))
            return self.call_global(variable, "call", [named, *args] if named else args, frame)
        if call.name in self.symbols and call.closure is None:
            return Described(call.name, named, tuple(args))
        step = self.steps.get(call.name)
        if step is None:
            raise self.no_such_method(call.name)
        return step(self, frame, call, args, named)

    def call_global(self, variable: GlobalVar, name: str, args: list[Any], frame: Frame) -> Any:
        """A library global variable's method: its own scope (parameters only), the build's env."""
        method = variable.method(name, args)
        inner = frame.child(env=frame.env, locals=dict(zip(method.params, args, strict=True)))
        try:
            return self.run_block(method.body, inner)
        except _Return as ret:
            return ret.value

    def no_such_method(self, name: str) -> StepFailure:
        steps = ", ".join(self.all_step_names)
        globals_ = sorted({"currentBuild", "env", "params", "pipeline", "scm", *self.global_vars})
        return StepFailure(
            f"No such DSL method '{name}' found among steps [{steps}]"
            f" or symbols [{', '.join(sorted(self.symbols))}]"
            f" or globals [{', '.join(globals_)}]",
            java_type="java.lang.NoSuchMethodError",
        )

    def _method(self, target: Any, call: s.Call, frame: Frame) -> Any:
        args = [self.eval(a, frame) for a in call.args]
        if call.closure is not None:
            args.append(ClosureValue(call.closure, frame))
        name = call.name
        if isinstance(target, str):
            text_methods: dict[str, Callable[[], Any]] = {
                "trim": target.strip,
                "toLowerCase": target.lower,
                "toUpperCase": target.upper,
                "length": lambda: len(target),
                "size": lambda: len(target),
                "isEmpty": lambda: not target,
                "toInteger": lambda: int(target),
                "toString": lambda: target,
                "startsWith": lambda: target.startswith(to_text(args[0])),
                "endsWith": lambda: target.endswith(to_text(args[0])),
                "contains": lambda: to_text(args[0]) in target,
                "equals": lambda: target == args[0],
                "equalsIgnoreCase": lambda: target.lower() == to_text(args[0]).lower(),
                "split": lambda: target.split(to_text(args[0])) if args else target.split(),
                "replace": lambda: target.replace(to_text(args[0]), to_text(args[1])),
                "matches": lambda: fnmatch.fnmatch(target, to_text(args[0])),
            }
            if name in text_methods:
                return text_methods[name]()
        if isinstance(target, list | dict):
            if name == "size":
                return len(target)
            if name == "isEmpty":
                return not target
            if name == "contains" and isinstance(target, list):
                return args[0] in target
            if name == "containsKey" and isinstance(target, dict):
                return args[0] in target
            if name == "get" and isinstance(target, dict):
                return target.get(args[0])
            if name == "join" and isinstance(target, list):
                return to_text(args[0] if args else "").join(to_text(v) for v in target)
            if name == "each" and args and isinstance(args[-1], ClosureValue):
                items = target.items() if isinstance(target, dict) else target
                for item in items:
                    self.call_closure(args[-1], frame, *(item if isinstance(item, tuple) else (item,)))
                return target
        if name == "toString":
            return to_text(target)
        raise StepFailure(
            f"No signature of method: {type(target).__name__}.{name}() is applicable",
            java_type="groovy.lang.MissingMethodException",
        )
