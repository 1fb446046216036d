"""Jenkinsfile validation through the full stack: the API asks the sandbox Jenkins's Declarative linter
over HTTP, shows its verdict on the pipeline, holds back what is invalid or not validated yet, and the
worker validates what Jenkins could not judge during an outage."""

from __future__ import annotations

from typing import Any

from bridge.domain.validation import Validation, ValidationStatus
from bridge.identity.token_store import TokenStore
from tests.e2e.conftest import P, Stack
from tests.fixtures.app import ApiClient
from tests.fixtures.leaks import register_secret

VALID = "pipeline {\n  agent any\n  stages {\n    stage('a') {\n      steps { echo 'ok' }\n    }\n  }\n}\n"
NO_STAGES_NO_AGENT = "pipeline {\n}\n"
STEP_OUTSIDE_STEPS = "pipeline {\n  agent any\n  stages {\n    stage('a') {\n      echo 'x'\n    }\n  }\n}\n"
PIPES = f"{P}/demo/pipelines"


def _project(api: ApiClient) -> None:
    assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    assert api.post(P, {"name": "demo", "workspace": "ws"}).status_code == 201


def _create(stack: Stack, name: str, jenkinsfile: str) -> dict[str, Any]:
    r = stack.api.post(PIPES, {"name": name, "jenkinsfile": jenkinsfile})
    assert r.status_code == 201, r.json
    body: dict[str, Any] = r.json
    return body


def test_a_valid_declarative_jenkinsfile_is_valid_and_synced(stack: Stack) -> None:
    _project(stack.api)
    created = _create(stack, "good", VALID)
    assert created["validation"]["status"] == "valid" and created["validation"]["errors"] == []
    assert created["validation"]["checked_at"] is not None
    stack.worker.poll()
    assert stack.sync("/demo/pipelines/good")["status"] == "synced"
    assert stack.jenkins.job_exists("demo/good")


def test_an_invalid_jenkinsfile_is_stored_with_line_and_column_and_never_synced(stack: Stack) -> None:
    _project(stack.api)
    created = _create(stack, "bad", NO_STAGES_NO_AGENT)
    assert created["jenkinsfile"] == NO_STAGES_NO_AGENT  # stored as written
    assert created["validation"]["status"] == "invalid"
    assert created["validation"]["errors"] == [
        {"message": 'Missing required section "stages"', "line": 1, "column": 1},
        {"message": 'Missing required section "agent"', "line": 1, "column": 1},
    ]
    assert created["sync"]["status"] == "error" and "2 errors" in created["sync"]["message"]
    stack.worker.poll()
    stack.worker.resync()
    assert not stack.jenkins.job_exists("demo/bad")
    state = stack.sync("/demo/pipelines/bad")
    assert state["status"] == "error" and "Jenkinsfile" in state["message"]

    fixed = stack.api.patch(f"{PIPES}/bad", {"jenkinsfile": VALID})
    assert fixed.status_code == 200 and fixed.json["validation"]["status"] == "valid"
    assert fixed.json["sync"]["status"] == "pending"
    stack.worker.poll()
    assert stack.sync("/demo/pipelines/bad")["status"] == "synced"
    assert stack.jenkins.job_exists("demo/bad")


def test_errors_deep_in_the_file_point_at_their_line(stack: Stack) -> None:
    _project(stack.api)
    errors = _create(stack, "deep", STEP_OUTSIDE_STEPS)["validation"]["errors"]
    assert {(e["line"], e["column"]) for e in errors} == {(4, 5)}
    assert any(e["message"].startswith('Unknown stage section "echo"') for e in errors)


def test_an_invalid_update_keeps_the_last_good_job_in_jenkins(stack: Stack) -> None:
    _project(stack.api)
    _create(stack, "app", VALID)
    stack.worker.poll()
    before = stack.jenkins.get_job_config("demo/app")
    broken = stack.api.patch(f"{PIPES}/app", {"jenkinsfile": NO_STAGES_NO_AGENT, "description": "new"})
    assert broken.json["validation"]["status"] == "invalid"
    stack.worker.poll()
    stack.worker.resync()
    assert stack.jenkins.get_job_config("demo/app") == before
    assert stack.sync("/demo/pipelines/app")["status"] == "error"
    # a change elsewhere keeps the pipeline held back: the Jenkinsfile is still the invalid one
    again = stack.api.patch(f"{PIPES}/app", {"description": "newer"})
    assert again.json["validation"]["status"] == "invalid" and again.json["sync"]["status"] == "error"


def test_scripted_jenkinsfiles_are_unchecked_and_synced(stack: Stack) -> None:
    _project(stack.api)
    created = _create(stack, "script", "node {\n  echo 'hi'\n}\n")
    assert created["validation"]["status"] == "unchecked"
    assert "scripted" in created["validation"]["message"]
    stack.worker.poll()
    assert stack.jenkins.job_exists("demo/script")


def test_scm_pipelines_have_no_validation(stack: Stack) -> None:
    _project(stack.api)
    body = {"name": "from-git", "scm": {"url": "https://git.example.com/app.git"}}
    created = stack.api.post(PIPES, body)
    assert created.status_code == 201 and created.json["validation"] is None


def test_during_an_outage_the_write_is_accepted_pending_and_validated_later(stack: Stack) -> None:
    _project(stack.api)
    stack.worker.poll()
    stack.sandbox.outage()
    late = _create(stack, "late", VALID)
    wrong = _create(stack, "wrong", NO_STAGES_NO_AGENT)
    for created in (late, wrong):
        assert created["validation"]["status"] == "pending" and created["validation"]["errors"] == []
        assert created["sync"]["status"] == "pending" and "validate" in created["sync"]["message"]
    stack.worker.poll()  # still down: nothing validated, nothing synced
    assert stack.api.get(f"{PIPES}/late").json["validation"]["status"] == "pending"

    stack.sandbox.recover()
    stack.worker.poll()
    late_now = stack.api.get(f"{PIPES}/late").json
    assert late_now["validation"]["status"] == "valid" and late_now["sync"]["status"] == "synced"
    assert stack.jenkins.job_exists("demo/late")
    wrong_now = stack.api.get(f"{PIPES}/wrong").json
    assert wrong_now["validation"]["status"] == "invalid"
    assert wrong_now["validation"]["errors"][0] == {
        "message": 'Missing required section "stages"',
        "line": 1,
        "column": 1,
    }
    assert wrong_now["sync"]["status"] == "error"
    assert not stack.jenkins.job_exists("demo/wrong")


def test_a_verdict_for_text_replaced_meanwhile_is_dropped(stack: Stack) -> None:
    _project(stack.api)
    stack.sandbox.outage()
    _create(stack, "racy", NO_STAGES_NO_AGENT)
    ((key, text),) = stack.container.desired.pending_jenkinsfiles()
    assert text == NO_STAGES_NO_AGENT
    assert stack.api.patch(f"{PIPES}/racy", {"jenkinsfile": VALID}).json["validation"]["status"] == "pending"
    # the worker's answer about the old text arrives after the write: it must not stick to the new text
    assert not stack.container.desired.record_validation(key, text, Validation(ValidationStatus.INVALID))
    assert stack.api.get(f"{PIPES}/racy").json["validation"]["status"] == "pending"
    assert [t for _, t in stack.container.desired.pending_jenkinsfiles()] == [VALID]
    stack.sandbox.recover()
    stack.worker.poll()
    assert stack.api.get(f"{PIPES}/racy").json["validation"]["status"] == "valid"
    assert stack.jenkins.job_exists("demo/racy")


def test_validate_endpoint_answers_without_storing(stack: Stack) -> None:
    _project(stack.api)
    ok = stack.api.post(f"{PIPES}/validate", {"jenkinsfile": VALID})
    assert ok.status_code == 200 and ok.json["status"] == "valid" and ok.json["errors"] == []
    bad = stack.api.post(f"{PIPES}/validate", {"jenkinsfile": NO_STAGES_NO_AGENT})
    assert bad.status_code == 200 and bad.json["status"] == "invalid"
    assert [(e["line"], e["column"]) for e in bad.json["errors"]] == [(1, 1), (1, 1)]
    assert stack.api.post(f"{PIPES}/validate", {"jenkinsfile": "echo 'x'"}).json["status"] == "unchecked"
    assert stack.api.get(PIPES).json["items"] == []  # nothing stored

    empty = stack.api.post(f"{PIPES}/validate", {"jenkinsfile": ""})
    assert empty.status_code == 400 and empty.mimetype == "application/problem+json"
    assert stack.api.post(f"{PIPES}/validate", {"script": VALID}).status_code == 400
    assert stack.api.post(f"{P}/nope/pipelines/validate", {"jenkinsfile": VALID}).status_code == 404

    stack.sandbox.outage()
    down = stack.api.post(f"{PIPES}/validate", {"jenkinsfile": VALID})
    assert down.status_code == 503 and down.mimetype == "application/problem+json"


def test_validate_is_open_to_project_viewers_only(stack: Stack) -> None:
    _project(stack.api)
    assert stack.api.post(f"{P}/demo/members", {"subject": "vera", "role": "viewer"}).status_code == 200
    tokens = TokenStore(stack.container.store.engine)
    vera = tokens.create(user="vera", created_by="test").token
    nobody = tokens.create(user="nobody", created_by="test").token
    register_secret(vera, nobody)
    client = stack.api.client
    as_vera = ApiClient(client, token=vera)
    answer = as_vera.post(f"{PIPES}/validate", {"jenkinsfile": NO_STAGES_NO_AGENT})
    assert answer.status_code == 200 and answer.json["status"] == "invalid"
    # a viewer still cannot store a pipeline
    assert as_vera.post(PIPES, {"name": "x", "jenkinsfile": VALID}).status_code == 403
    # not a member: the project does not exist for them; anonymous: 401
    assert (
        ApiClient(client, token=nobody).post(f"{PIPES}/validate", {"jenkinsfile": VALID}).status_code == 404
    )
    assert ApiClient(client, token=None).post(f"{PIPES}/validate", {"jenkinsfile": VALID}).status_code == 401


def test_validate_is_an_action_so_no_pipeline_may_be_named_after_it(stack: Stack) -> None:
    _project(stack.api)
    named = stack.api.post(PIPES, {"name": "validate", "jenkinsfile": VALID})
    assert named.status_code == 400 and named.mimetype == "application/problem+json"
    assert "reserved" in named.get_data(as_text=True)
    options = stack.api.request("OPTIONS", f"{PIPES}/validate")
    assert set(options.headers["Allow"].replace(" ", "").split(",")) == {"POST", "OPTIONS"}
    assert stack.api.get(f"{PIPES}/validate").status_code == 405
    assert stack.api.get(f"{PIPES}/validated").status_code == 404  # an ordinary (missing) pipeline name
