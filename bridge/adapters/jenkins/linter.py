"""Jenkins's Declarative linter as a port: ``JenkinsfileLinter.validate_jenkinsfile(text) -> Validation``.

``JenkinsLinter`` asks pipeline-model-definition's ``POST pipeline-model-converter/validateJenkinsfile``
(form field ``jenkinsfile``, Overall/Read, no crumb needed) through the adapter's ``post_form``, once,
without retries: a caller that cannot get an answer keeps the Jenkinsfile ``pending`` and the worker asks
again later. Jenkins answers HTTP 200 whatever the verdict: ``{"status":"ok","data":{"result":"success"}}``
or ``"result":"failure"`` with ``"errors": [{"error": msg-or-[msgs]}]``, where a compilation error's
message ends with ``" @ line L, column C."`` (Groovy's ``SyntaxException``). A script without a
``pipeline`` block (a scripted Pipeline) is answered with ``… did not contain the 'pipeline' step``: the
linter does not judge it, so it is ``unchecked``, as is every Jenkinsfile on a Jenkins without the plugin
(404).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

import requests

from bridge.domain.validation import LintError, Validation, ValidationStatus
from bridge.errors import NotFound, UpstreamError

PATH = "pipeline-model-converter/validateJenkinsfile"
FIELD = "jenkinsfile"
POSITION = re.compile(r"\A(?P<message>.*) @ line (?P<line>\d+), column (?P<column>\d+)\.\Z", re.DOTALL)
NO_PIPELINE = re.compile(r"\AJenkinsfile content '.*' did not contain the 'pipeline' step\Z", re.DOTALL)
SCRIPTED = "a scripted Pipeline: Jenkins's linter checks Declarative Pipelines only"
NO_LINTER = "this Jenkins has no Declarative linter (pipeline-model-definition plugin)"


class JenkinsfileLinter(Protocol):
    def validate_jenkinsfile(self, text: str) -> Validation:
        """Jenkins's verdict (``valid``, ``invalid`` with errors, or ``unchecked``); raises the bridge's
        error vocabulary when Jenkins cannot answer (``UpstreamUnavailable`` when unreachable)."""
        ...


@runtime_checkable
class FormPoster(Protocol):
    """The one primitive of ``JenkinsAdapter`` the linter needs."""

    def post_form(
        self, path: str, form: Mapping[str, str] | None = None, *, idempotent: bool = False
    ) -> requests.Response: ...


class JenkinsLinter:
    def __init__(self, jenkins: FormPoster) -> None:
        self._jenkins = jenkins

    def validate_jenkinsfile(self, text: str) -> Validation:
        try:
            response = self._jenkins.post_form(PATH, {FIELD: text})
        except NotFound:
            return Validation(ValidationStatus.UNCHECKED, message=NO_LINTER, checked_at=_now())
        return verdict(response.content)


def verdict(body: bytes) -> Validation:
    """A ``validateJenkinsfile`` answer as a ``Validation``."""
    try:
        answer = json.loads(body)
        data = answer["data"]
        result = data["result"]
    except (ValueError, KeyError, TypeError) as e:
        raise UpstreamError("Jenkins sent an unexpected answer to validateJenkinsfile") from e
    if answer.get("status") != "ok" or result not in ("success", "failure"):
        raise UpstreamError("Jenkins sent an unexpected answer to validateJenkinsfile")
    if result == "success":
        return Validation(ValidationStatus.VALID, checked_at=_now())
    messages = _messages(data.get("errors"))
    if len(messages) == 1 and NO_PIPELINE.match(messages[0]):
        return Validation(ValidationStatus.UNCHECKED, message=SCRIPTED, checked_at=_now())
    errors = tuple(_error(m) for m in messages) or (LintError("Jenkins rejected the Jenkinsfile"),)
    return Validation(ValidationStatus.INVALID, errors=errors, checked_at=_now())


def _messages(errors: Any) -> list[str]:
    """Every message: ``errors`` holds objects whose ``error`` is a string or an array of them."""
    out: list[str] = []
    for entry in errors if isinstance(errors, list) else []:
        value = entry.get("error") if isinstance(entry, dict) else entry
        for message in value if isinstance(value, list) else [value]:
            if message is not None:
                out.append(str(message))
    return out


def _error(message: str) -> LintError:
    m = POSITION.match(message)
    if m is None:
        return LintError(message)
    return LintError(m["message"], int(m["line"]), int(m["column"]))


def _now() -> datetime:
    return datetime.now(UTC)
