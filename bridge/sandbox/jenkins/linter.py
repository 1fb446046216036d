"""The Declarative linter: ``POST /pipeline-model-converter/validateJenkinsfile`` and ``…/validate``.

pipeline-model-definition's ``ModelConverterAction`` (a root action): both endpoints require POST and
Overall/Read, read the form field ``jenkinsfile`` and never store anything. The whole
``/pipeline-model-converter/`` URL space is exempt from CSRF crumbs (``ModelConverterActionCrumbExclusion``).

``validateJenkinsfile`` always answers HTTP 200 through ``HttpResponses.okJSON``:
``{"status":"ok","data":{"result":"success"}}``, or ``"result":"failure"`` with ``"errors"``: one object
whose ``error`` is the message of the single compilation error, or an array of them when there are
several (json-lib ``accumulate`` on one key). A compilation error's message ends with Groovy's
``" @ line L, column C."``. A script without a ``pipeline`` block is not an error of the script but of
the request (``… did not contain the 'pipeline' step``), and an absent or empty field is reported as
such. ``validate`` answers ``text/plain``: ``Jenkinsfile successfully validated.`` or
``Errors encountered validating Jenkinsfile:`` followed by one ``SyntaxErrorMessage.write`` block per
error (``WorkflowScript: L: message @ line L, column C.``, the source line, a caret).

The sandbox validates with its own parser and declarative validator (``pipeline/declarative.py``), so
what it accepts here is what it can run.
"""

from __future__ import annotations

import json

from werkzeug.wrappers import Response

from bridge.sandbox.jenkins.context import RequestContext
from bridge.sandbox.jenkins.model import READ
from bridge.sandbox.jenkins.pipeline.declarative import CompileErrors, Scripted, compile_pipeline
from bridge.sandbox.jenkins.pipeline.errors import CompileError, syntax_error_block
from bridge.sandbox.jenkins.routing import RouteTable

BASE = "pipeline-model-converter"
FIELD = "jenkinsfile"
JSON_TYPE = "application/json; charset=UTF-8"  # hudson.util.HttpResponses.okJSON
TEXT_TYPE = "text/plain;charset=UTF-8"  # Stapler HttpResponses.plainText


def register(routes: RouteTable) -> None:
    for name, handler in (("validateJenkinsfile", validate_jenkinsfile), ("validate", validate_text)):
        routes.add(f"{BASE}/{name}", handler, kinds=("root",), methods=("POST",), crumb=False)


def _position(error: CompileError) -> str:
    """``SyntaxException.getMessage``: the message with the position appended."""
    return f"{error.message} @ line {error.line}, column {error.column}."


def _no_pipeline(source: str) -> str:
    return f"Jenkinsfile content '{source}' did not contain the 'pipeline' step"


def lint(source: str | None) -> dict[str, object]:
    """The ``data`` object of ``validateJenkinsfile`` for this field value."""
    if not source:
        return _failure(f"No content found for '{FIELD}' parameter")
    try:
        compiled = compile_pipeline(source)
    except CompileErrors as e:
        messages = [_position(error) for error in e.errors]
        return _failure(messages[0] if len(messages) == 1 else messages)
    if isinstance(compiled, Scripted):
        return _failure(_no_pipeline(source))
    return {"result": "success"}


def _failure(error: str | list[str]) -> dict[str, object]:
    return {"result": "failure", "errors": [{"error": error}]}


def validate_jenkinsfile(ctx: RequestContext, groups: dict[str, str]) -> Response:
    ctx.require(READ)
    data = lint(ctx.param(FIELD))
    body = json.dumps({"status": "ok", "data": data}, separators=(",", ":"), ensure_ascii=False)
    return Response(body.encode("utf-8"), status=200, content_type=JSON_TYPE)


def validate_text(ctx: RequestContext, groups: dict[str, str]) -> Response:
    """``doValidate``: every line joined with a line break, printed with ``println``."""
    ctx.require(READ)
    source = ctx.param(FIELD)
    if source is None:
        lines = ["No Jenkinsfile specified"]
    else:
        try:
            compiled = compile_pipeline(source)
        except CompileErrors as e:
            lines = ["Errors encountered validating Jenkinsfile:"]
            lines += [syntax_error_block(source, error) for error in e.errors]
        else:
            scripted = isinstance(compiled, Scripted)
            lines = [_no_pipeline(source) if scripted else "Jenkinsfile successfully validated."]
    return Response(("\n".join(lines) + "\n").encode("utf-8"), status=200, content_type=TEXT_TYPE)
