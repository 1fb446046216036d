"""The linter adapter reads Jenkins's ``validateJenkinsfile`` answers (reference samples) into verdicts."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
import requests

from bridge.adapters.jenkins.linter import JenkinsLinter, verdict
from bridge.domain.validation import LintError, ValidationStatus
from bridge.errors import NotFound, UpstreamError, UpstreamUnavailable
from tests.sandbox.wire import sample


def test_success_sample_is_valid() -> None:
    v = verdict(sample("validateJenkinsfile-success.json").encode())
    assert v.status is ValidationStatus.VALID and v.errors == () and v.checked_at is not None


def test_one_error_is_split_into_message_line_and_column() -> None:
    v = verdict(sample("validateJenkinsfile-failure-missing-stages.json").encode())
    assert v.status is ValidationStatus.INVALID
    assert v.errors == (LintError('Missing required section "stages"', 1, 1),)


def test_accumulated_errors_each_become_one_error() -> None:
    v = verdict(sample("validateJenkinsfile-failure-missing-stages-and-agent.json").encode())
    assert v.errors == (
        LintError('Missing required section "stages"', 1, 1),
        LintError('Missing required section "agent"', 1, 1),
    )


def test_an_error_without_position_keeps_its_whole_text() -> None:
    v = verdict(sample("validateJenkinsfile-failure-no-param.json").encode())
    assert v.status is ValidationStatus.INVALID
    assert v.errors == (LintError("No content found for 'jenkinsfile' parameter"),)


def test_a_multi_line_message_keeps_its_position() -> None:
    body = (
        b'{"status":"ok","data":{"result":"failure","errors":'
        b'[{"error":"unexpected token: }\\n x @ line 12, column 3."}]}}'
    )
    assert verdict(body).errors == (LintError("unexpected token: }\n x", 12, 3),)


def test_a_scripted_jenkinsfile_is_unchecked() -> None:
    body = (
        b'{"status":"ok","data":{"result":"failure","errors":[{"error":'
        b"\"Jenkinsfile content 'node {\\n}' did not contain the 'pipeline' step\"}]}}"
    )
    v = verdict(body)
    assert v.status is ValidationStatus.UNCHECKED and v.errors == () and "scripted" in (v.message or "")


@pytest.mark.parametrize(
    "body", [b"<html>", b"[]", b'{"status":"ok"}', b'{"status":"error","data":{"result":"success"}}']
)
def test_an_unexpected_answer_is_an_upstream_error(body: bytes) -> None:
    with pytest.raises(UpstreamError):
        verdict(body)


class _Poster:
    def __init__(self, error: Exception | None = None, body: bytes = b"") -> None:
        self.error, self.body = error, body
        self.calls: list[tuple[str, dict[str, str], bool]] = []

    def post_form(
        self, path: str, form: Mapping[str, str] | None = None, *, idempotent: bool = False
    ) -> requests.Response:
        self.calls.append((path, dict(form or {}), idempotent))
        if self.error is not None:
            raise self.error
        response = requests.Response()
        response.status_code, response._content = 200, self.body
        return response


def test_the_linter_posts_the_form_field_once_without_retries() -> None:
    poster = _Poster(body=sample("validateJenkinsfile-success.json").encode())
    assert JenkinsLinter(poster).validate_jenkinsfile("pipeline {}").status is ValidationStatus.VALID
    assert poster.calls == [
        ("pipeline-model-converter/validateJenkinsfile", {"jenkinsfile": "pipeline {}"}, False)
    ]


def test_a_jenkins_without_the_plugin_leaves_jenkinsfiles_unchecked() -> None:
    v = JenkinsLinter(_Poster(NotFound("no such page"))).validate_jenkinsfile("pipeline {}")
    assert v.status is ValidationStatus.UNCHECKED and "pipeline-model-definition" in (v.message or "")


def test_an_unreachable_jenkins_raises_for_the_caller_to_decide() -> None:
    with pytest.raises(UpstreamUnavailable):
        JenkinsLinter(_Poster(UpstreamUnavailable("down"))).validate_jenkinsfile("pipeline {}")
