"""Global variables of a Pipeline shared library (``vars/NAME.groovy``), as pipeline-groovy-lib loads them.

A library's ``vars/NAME.groovy`` becomes the global variable ``NAME``; ``NAME(a: 1)`` in a Jenkinsfile is
Groovy's ``NAME.call([a: 1])`` (named arguments are collected into one leading ``Map``). A script's
global variables are looked up before steps and symbols (``CpsScript.invokeMethod`` asks
``GlobalVariable.byName`` first). The subset read here is what small ``vars`` scripts write: method
definitions ``def name(Type param, ...) { ... }`` whose bodies are the Jenkinsfile Groovy subset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bridge.sandbox.jenkins.pipeline import syntax as s
from bridge.sandbox.jenkins.pipeline.errors import CompileError, StepFailure
from bridge.sandbox.jenkins.pipeline.lexer import tokenize
from bridge.sandbox.jenkins.pipeline.parser import Parser


@dataclass(frozen=True)
class Method:
    name: str
    params: tuple[str, ...]
    types: tuple[str, ...]  # declared parameter types ("" when untyped or `def`)
    body: tuple[s.Stmt, ...]


@dataclass(frozen=True)
class GlobalVar:
    name: str
    methods: tuple[Method, ...]

    def method(self, name: str, args: list[object]) -> Method:
        """The method ``name`` taking ``args`` (arity and ``Map`` parameters), or MissingMethodException."""
        for method in self.methods:
            if method.name != name or len(method.params) != len(args):
                continue
            if all(t != "Map" or isinstance(a, dict) for t, a in zip(method.types, args, strict=True)):
                return method
        from bridge.sandbox.jenkins.pipeline.interpreter import to_text

        kinds = ", ".join(_java_type(a) for a in args)
        raise StepFailure(
            f"No signature of method: {self.name}.{name}() is applicable for argument types: ({kinds})"
            f" values: {to_text(list(args))}",
            java_type="groovy.lang.MissingMethodException",
        )


@dataclass(frozen=True)
class Library:
    """A library as a build sees it: name, version it was loaded at, and its global variables."""

    name: str
    version: str
    variables: Mapping[str, GlobalVar] = field(default_factory=dict)


class LibraryError(ValueError):
    """The library's sources cannot be read (Jenkins fails the build while loading it)."""


def _java_type(value: object) -> str:
    if isinstance(value, dict):
        return "java.util.LinkedHashMap"
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, list):
        return "java.util.ArrayList"
    return "java.lang.Object" if value is None else type(value).__name__


class _VarParser(Parser):
    def definitions(self) -> tuple[Method, ...]:
        out: list[Method] = []
        self._skip_nl()
        while self.tok.kind != "EOF":
            self._expect("def")
            name = self._next()
            if name.kind != "IDENT":
                raise self._unexpected(name)
            self._expect("(")
            params: list[str] = []
            types: list[str] = []
            while not self._at(")"):
                first = self._next()
                if first.kind != "IDENT" and not (first.kind == "KEYWORD" and first.text == "def"):
                    raise self._unexpected(first)
                if self.tok.kind == "IDENT":  # `Type name` / `def name`
                    types.append("" if first.text == "def" else first.text)
                    params.append(self._next().text)
                else:
                    types.append("")
                    params.append(first.text)
                if not self._at(")"):
                    self._expect(",")
            self._expect(")")
            self._skip_nl()
            out.append(Method(name.text, tuple(params), tuple(types), self._block()))
            self._skip_nl()
        return tuple(out)


def parse_var(name: str, source: str) -> GlobalVar:
    """Parse ``vars/<name>.groovy``; CompileError carries Groovy's message and position."""
    return GlobalVar(name, _VarParser(tokenize(source)).definitions())


def load(name: str, version: str, root: Path) -> Library:
    """Read ``root/vars/*.groovy`` (the retriever copies ``vars/*.groovy``, ``src/``, ``resources/``)."""
    directory = root / "vars"
    if not directory.is_dir():
        raise LibraryError(f"Library {name} expected to contain at least one of src or vars directories")
    variables: dict[str, GlobalVar] = {}
    for path in sorted(directory.glob("*.groovy")):
        try:
            variables[path.stem] = parse_var(path.stem, path.read_text(encoding="utf-8"))
        except CompileError as e:
            raise LibraryError(f"{path.name}: {e.message} @ line {e.line}, column {e.column}.") from None
    return Library(name, version, variables)
