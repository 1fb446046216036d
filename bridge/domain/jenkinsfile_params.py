"""The ``parameters {}`` directive of a declarative Jenkinsfile, read without running it.

Jenkins learns a Jenkinsfile's parameters only when a run executes the ``properties`` the directive
compiles to, so a job the bridge rewrote shows none until its next run. The bridge reads the directive
itself (``string``, ``text``, ``booleanParam``, ``choice``, ``password`` with literal arguments) to
render them into the job and to check run parameters. ``complete`` is ``False`` when something in the
block was not understood (another parameter type, a computed value): the caller must then not treat
the list as the whole truth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bridge.domain.model import Parameter, ParameterType, Pipeline

TYPES = {
    "string": ParameterType.STRING,
    "text": ParameterType.TEXT,
    "booleanParam": ParameterType.BOOLEAN,
    "choice": ParameterType.CHOICE,
    "password": ParameterType.PASSWORD,
}
_TOKEN = re.compile(
    r"""\s*(?:(?P<str>'''(?:.|\n)*?'''|\"\"\"(?:.|\n)*?\"\"\"|'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")"""
    r"""|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<num>-?\d+)|(?P<punct>[(),:\[\]{}]))"""
)


#: A quoted string (a backslash escapes the next character; an unterminated one runs to the end) or a
#: comment, whichever starts first: one pass of the regular expression engine instead of a loop per
#: character (the API and the worker read every inline Jenkinsfile).
_COMMENT_OR_STRING = re.compile(
    r"""'(?:\\.|[^'\\])*(?:'|\\?\Z)|"(?:\\.|[^"\\])*(?:"|\\?\Z)|//[^\n]*|/\*(?:.*?\*/|.*\Z)""", re.S
)


@dataclass(frozen=True)
class DeclaredParameters:
    parameters: tuple[Parameter, ...] = ()
    complete: bool = True
    found: bool = False  # whether the Jenkinsfile has a ``parameters {}`` directive at all


def _strip_comments(text: str) -> str:
    """``text`` without ``//`` and ``/* */`` comments; quoted strings (even unterminated) are kept whole."""
    return _COMMENT_OR_STRING.sub(_keep_strings, text)


def _keep_strings(match: re.Match[str]) -> str:
    found = match.group()
    return found if found[0] in "'\"" else ""


def _block(text: str) -> str | None:
    """The body of the first ``parameters {`` block (braces matched outside strings)."""
    match = re.search(r"(?<![\w.])parameters\s*\{", text)
    if match is None:
        return None
    depth, i, quote = 1, match.end(), ""
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[match.end() : i]
        i += 1
    return None


def _unquote(token: str) -> str:
    if token[:3] in ("'''", '"""'):
        return token[3:-3]
    body = token[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                raise ValueError(f"unexpected text at {pos}")
            kind = m.lastgroup or ""
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise ValueError(f"expected {value}")
        self.i += 1
        return token

    def value(self) -> str | bool | list[str]:
        kind, text = self.take()
        if kind == "str":
            return _unquote(text)
        if kind == "num":
            return text
        if kind == "word" and text in ("true", "false"):
            return text == "true"
        if text == "[":
            items: list[str] = []
            while self.peek() is not None and self.peek() != ("punct", "]"):
                item = self.value()
                if not isinstance(item, str):
                    raise ValueError("list of strings expected")
                items.append(item)
                if self.peek() == ("punct", ","):
                    self.take(",")
            self.take("]")
            return items
        raise ValueError(f"not a literal: {text}")

    def call(self) -> tuple[str, dict[str, str | bool | list[str]]]:
        kind, name = self.take()
        if kind != "word":
            raise ValueError("a parameter type expected")
        self.take("(")
        args: dict[str, str | bool | list[str]] = {}
        while self.peek() != ("punct", ")"):
            key_kind, key = self.take()
            if key_kind != "word":
                raise ValueError("named arguments expected")
            self.take(":")
            args[key] = self.value()
            if self.peek() == ("punct", ","):
                self.take(",")
        self.take(")")
        return name, args


def _parameter(kind: str, args: dict[str, str | bool | list[str]]) -> Parameter | None:
    ptype = TYPES.get(kind)
    name = args.get("name")
    if ptype is None or not isinstance(name, str):
        return None
    description = args.get("description", "")
    default = args.get("defaultValue")
    choices: tuple[str, ...] = ()
    if ptype is ParameterType.CHOICE:
        raw = args.get("choices", [])
        choices = tuple(raw) if isinstance(raw, list) else tuple(str(raw).splitlines())
        default = None
    elif ptype is ParameterType.BOOLEAN:
        default = bool(default) if isinstance(default, bool) else str(default).lower() == "true"
    elif isinstance(default, list):
        return None
    return Parameter(
        name=name,
        type=ptype,
        default=default,
        choices=choices,
        description=description if isinstance(description, str) else "",
    )


def declared_parameters(jenkinsfile: str | None) -> DeclaredParameters:
    """The parameters a declarative Jenkinsfile declares, and whether that list is the whole block."""
    if not jenkinsfile:
        return DeclaredParameters()
    body = _block(_strip_comments(jenkinsfile))
    if body is None:
        return DeclaredParameters()
    try:
        parser = _Parser(body)
    except ValueError:
        return DeclaredParameters(complete=False, found=True)
    found: list[Parameter] = []
    complete = True
    while parser.peek() is not None:
        start = parser.i
        try:
            kind, args = parser.call()
        except ValueError:
            complete = False
            parser.i = start + 1
            continue
        parameter = _parameter(kind, args)
        if parameter is None:
            complete = False
        else:
            found.append(parameter)
    return DeclaredParameters(parameters=tuple(found), complete=complete, found=True)


def conflicts(declared: tuple[Parameter, ...], api: tuple[Parameter, ...]) -> list[str]:
    """Parameters the Jenkinsfile and the API both declare, differently (one message per name)."""
    by_name = {p.name: p for p in api}
    out = []
    for p in declared:
        other = by_name.get(p.name)
        if other is None:
            continue
        same = (p.type, p.choices, "" if p.secret else p.default) == (
            other.type,
            other.choices,
            "" if other.secret else other.default,
        )
        if not same:
            out.append(
                f"parameter {p.name!r} is declared by the Jenkinsfile as {p.type.value} "
                f"and by the API as {other.type.value}"
                + ("" if p.type is not other.type else " with different choices or default")
            )
    return out


def with_jenkinsfile_parameters(pipeline: Pipeline) -> Pipeline:
    """The pipeline with its inline Jenkinsfile's parameters after the API's (the API's win a name
    both declare: the conflict is reported, see ``conflicts``). Jenkins would add them only when a run
    executes the directive; rendered into the job, they are there before the first run. A password's
    default stays out of the job (the run sets it from the Jenkinsfile)."""
    if pipeline.jenkinsfile is None or pipeline.scm is not None:
        return pipeline
    declared = declared_parameters(pipeline.jenkinsfile).parameters
    taken = {p.name for p in pipeline.parameters}
    extra = tuple(replace(p, default=None) if p.secret else p for p in declared if p.name not in taken)
    return replace(pipeline, parameters=(*pipeline.parameters, *extra)) if extra else pipeline
