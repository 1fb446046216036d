"""The Declarative linter (``pipeline-model-converter``) against the reference samples (security §6)."""

from __future__ import annotations

import requests

from bridge.sandbox.jenkins import SandboxJenkins, UserSpec
from tests.fixtures.sandbox import SandboxFactory
from tests.sandbox.wire import sample, token_session

VALIDATE = "pipeline-model-converter/validateJenkinsfile"
VALID = """pipeline {
    agent any
    stages {
        stage('Build') {
            steps {
                echo 'hi'
            }
        }
    }
}
"""


def _lint(j: SandboxJenkins, form: dict[str, str] | None) -> requests.Response:
    return token_session(j).post(j.url + VALIDATE, data=form)


def test_valid_declarative_pipeline_matches_the_success_sample(sandbox_jenkins: SandboxJenkins) -> None:
    r = _lint(sandbox_jenkins, {"jenkinsfile": VALID})
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert r.content == sample("validateJenkinsfile-success.json").strip().encode()


def test_missing_stages_matches_its_sample_byte_for_byte(sandbox_jenkins: SandboxJenkins) -> None:
    r = _lint(sandbox_jenkins, {"jenkinsfile": "pipeline {\n    agent none\n}"})
    assert r.status_code == 200
    assert r.content == sample("validateJenkinsfile-failure-missing-stages.json").strip().encode()


def test_several_errors_accumulate_into_an_array_under_one_error(sandbox_jenkins: SandboxJenkins) -> None:
    r = _lint(sandbox_jenkins, {"jenkinsfile": "pipeline {\n}"})
    assert r.status_code == 200
    assert r.content == sample("validateJenkinsfile-failure-missing-stages-and-agent.json").strip().encode()


def test_absent_or_empty_field_matches_the_no_param_sample(sandbox_jenkins: SandboxJenkins) -> None:
    expected = sample("validateJenkinsfile-failure-no-param.json").strip().encode()
    assert _lint(sandbox_jenkins, None).content == expected
    assert _lint(sandbox_jenkins, {"jenkinsfile": ""}).content == expected


def test_a_script_without_pipeline_block_names_the_missing_step(sandbox_jenkins: SandboxJenkins) -> None:
    body = _lint(sandbox_jenkins, {"jenkinsfile": "echo 'x'"}).json()
    assert body == {
        "status": "ok",
        "data": {
            "result": "failure",
            "errors": [{"error": "Jenkinsfile content 'echo 'x'' did not contain the 'pipeline' step"}],
        },
    }


def test_errors_deep_in_the_file_carry_their_own_line_and_column(sandbox_jenkins: SandboxJenkins) -> None:
    source = (
        "pipeline {\n  agent any\n  stages {\n    stage('a') {\n      echo 'no steps block'\n    }\n  }\n}\n"
    )
    errors = _lint(sandbox_jenkins, {"jenkinsfile": source}).json()["data"]["errors"]
    assert len(errors) == 1  # one object; its two messages accumulate into an array
    unknown, expected = errors[0]["error"]
    assert unknown.startswith('Unknown stage section "echo"')
    assert expected == 'Expected one of "steps", "stages", or "parallel" for stage "a" @ line 4, column 5.'
    assert unknown.endswith(" @ line 4, column 5.")


def test_groovy_syntax_errors_are_reported_with_their_position(sandbox_jenkins: SandboxJenkins) -> None:
    data = _lint(sandbox_jenkins, {"jenkinsfile": "pipeline {\n  agent any\n  stages {\n"}).json()["data"]
    assert data["result"] == "failure"
    assert " @ line " in data["errors"][0]["error"]


def test_no_crumb_needed_even_with_a_password_session(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    with_password = requests.post(
        j.url + VALIDATE, data={"jenkinsfile": VALID}, auth=(j.admin_user, j.admin_password)
    )
    assert with_password.status_code == 200 and with_password.json()["data"]["result"] == "success"
    # an ordinary POST with a password and no crumb is refused, so the exemption is specific
    other = requests.post(j.url + "createItem?name=x", auth=(j.admin_user, j.admin_password))
    assert other.status_code == 403


def test_overall_read_is_required_and_get_is_refused(sandbox_jenkins_factory: SandboxFactory) -> None:
    j: SandboxJenkins = sandbox_jenkins_factory(
        users=[UserSpec("nobody", tokens=("n0",), permissions=frozenset())]
    )
    assert requests.post(j.url + VALIDATE, data={"jenkinsfile": VALID}).status_code == 403  # anonymous
    denied = requests.post(j.url + VALIDATE, data={"jenkinsfile": VALID}, auth=("nobody", "n0"))
    assert denied.status_code == 403
    assert denied.headers["X-Required-Permission"] == "hudson.model.Hudson.Read"
    assert token_session(j).get(j.url + VALIDATE).status_code == 405


def test_validate_answers_plain_text_with_groovy_error_blocks(sandbox_jenkins: SandboxJenkins) -> None:
    s = token_session(sandbox_jenkins)
    url = sandbox_jenkins.url + "pipeline-model-converter/validate"
    ok = s.post(url, data={"jenkinsfile": VALID})
    assert ok.headers["Content-Type"] == "text/plain;charset=UTF-8"
    assert ok.text == "Jenkinsfile successfully validated.\n"
    bad = s.post(url, data={"jenkinsfile": "pipeline {\n}"})
    assert bad.text == (
        "Errors encountered validating Jenkinsfile:\n"
        'WorkflowScript: 1: Missing required section "stages" @ line 1, column 1.\n'
        "   pipeline {\n   ^\n\n"
        'WorkflowScript: 1: Missing required section "agent" @ line 1, column 1.\n'
        "   pipeline {\n   ^\n\n"
    )
    assert s.post(url).text == "No Jenkinsfile specified\n"
