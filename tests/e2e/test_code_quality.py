"""Code quality through the bridge: a run's ``withSonarQubeEnv`` + ``mvn sonar:sonar`` analysis, recorded by
the sandbox Jenkins as the sonar plugin does, read from the sandbox SonarQube over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bridge.bootstrap import Container, build_run_follower, build_worker
from bridge.sandbox.jenkins import SandboxJenkins
from bridge.sandbox.sonarqube import Condition, Issue, Profile, SandboxSonarQube
from bridge.settings import Settings
from tests.e2e.conftest import P
from tests.e2e.runs_support import run_settings
from tests.fixtures.app import ApiClient
from tests.fixtures.leaks import register_secret
from tests.fixtures.sonarqube import sonar_jenkins
from tests.waiting import wait_until

SCANNER_TOKEN = "squ_scanner_0f1e2d3c4b5a69788796a5b4c3d2e1f0aa55"
KEY = "io.jenkins.sandbox:build"
JENKINSFILE = """pipeline {
  agent any
  environment { SONAR_CREDENTIAL_ID = 'sonar-token' }
  stages {
    stage('unit test') { steps { sh 'mvn clean test' } }
    stage('sonarqube analysis') {
      steps {
        withCredentials([string(credentialsId: "$SONAR_CREDENTIAL_ID", variable: 'SONAR_TOKEN')]) {
          withSonarQubeEnv('sonar') {
            sh "mvn sonar:sonar -Dsonar.login=$SONAR_TOKEN"
          }
        }
      }
    }
  }
}"""
PROFILE = Profile(
    issues=(
        Issue(
            "java:S2068",
            "VULNERABILITY",
            "BLOCKER",
            "src/main/java/io/demo/Config.java",
            12,
            "Hard-coded password",
        ),
        Issue("java:S2259", "BUG", "MAJOR", "src/main/java/io/demo/Orders.java", 42, "NPE"),
        Issue("java:S106", "CODE_SMELL", "MINOR", "src/main/java/io/demo/App.java", 9, "Use a logger"),
    ),
    measures={"coverage": "61.5", "duplicated_lines_density": "4.2", "ncloc": "900"},
    new_measures={"new_coverage": "55.0"},
    conditions=(Condition("new_coverage", "LT", "80"),),
)
RUNS = f"{P}/demo/pipelines/build/runs"


@pytest.fixture
def sandbox_jenkins(sandbox_jenkins_factory: Any, sandbox_sonarqube: SandboxSonarQube) -> SandboxJenkins:
    return sonar_jenkins(sandbox_jenkins_factory, sandbox_sonarqube, SCANNER_TOKEN, KEY, PROFILE)


@pytest.fixture
def settings(
    tmp_path: Path, sandbox_jenkins: SandboxJenkins, sandbox_sonarqube: SandboxSonarQube
) -> Settings:
    register_secret(sandbox_sonarqube.admin_token, SCANNER_TOKEN)
    return run_settings(
        tmp_path,
        sandbox_jenkins,
        BRIDGE_JENKINS_SONAR_URL=sandbox_sonarqube.url,
        BRIDGE_JENKINS_SONAR_TOKEN=sandbox_sonarqube.admin_token,
        BRIDGE_JENKINS_SONAR_TIMEOUT="2",
    )


def _finished_run(api: ApiClient, container: Container, settings: Settings) -> int:
    follower = build_run_follower(settings, container.store, container.run_service)
    queued = api.post(RUNS, {})
    assert queued.status_code == 202, queued.json

    def finished() -> int | None:
        follower.follow()
        items = [r for r in api.get(RUNS).json["items"] if r["queue_id"] == queued.json["queue_id"]]
        return int(items[0]["number"]) if items and items[0]["status"] == "succeeded" else None

    return int(wait_until(finished, what="the run to finish", timeout=30))


@pytest.fixture
def demo(api: ApiClient, container: Container, settings: Settings) -> None:
    assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    assert api.post(P, {"name": "demo", "workspace": "ws"}).status_code == 201
    secret = {"id": "sonar-token", "type": "secret-text", "data": {"secret": SCANNER_TOKEN}}
    assert api.post(f"{P}/demo/credentials", secret).status_code == 201
    assert api.post(f"{P}/demo/pipelines", {"name": "build", "jenkinsfile": JENKINSFILE}).status_code == 201
    assert (
        api.post(
            f"{P}/demo/pipelines",
            {
                "name": "plain",
                "jenkinsfile": "pipeline { agent any\n stages { stage('a') { steps { echo 'a' } } } }",
            },
        ).status_code
        == 201
    )
    result = build_worker(settings, desired=container.desired, jenkins=container.jenkins).poll()
    assert result is not None and not result.errors, result


def _report(api: ApiClient, path: str) -> dict[str, Any]:
    return wait_until(
        lambda: (r := api.get(path)).status_code == 200 and r.json["status"] == "SUCCESS" and r.json,
        what="the analysis to be processed",
        timeout=10,
    )


def test_a_runs_code_quality_report_and_the_pipelines(
    api: ApiClient, container: Container, settings: Settings, demo: None, sandbox_sonarqube: SandboxSonarQube
) -> None:
    number = _finished_run(api, container, settings)
    report = _report(api, f"{RUNS}/{number}/code-quality")
    assert report["run"] == number and report["installation"] == "sonar"
    assert report["project_key"] == KEY and report["dashboard_url"].endswith(
        "dashboard?id=io.jenkins.sandbox%3Abuild"
    )
    assert report["gate"] == "ERROR"
    assert report["conditions"] == [
        {"metric": "new_coverage", "status": "ERROR", "comparator": "LT", "threshold": "80", "actual": "55.0"}
    ]
    m = report["measures"]
    assert (m["bugs"], m["vulnerabilities"], m["code_smells"]) == ("1", "1", "1")
    assert (m["coverage"], m["duplications"], m["lines_of_code"]) == ("61.5", "4.2", "900")
    assert [(i["severity"], i["file"], i["line"]) for i in report["issues"]] == [
        ("BLOCKER", "src/main/java/io/demo/Config.java", 12),
        ("MAJOR", "src/main/java/io/demo/Orders.java", 42),
        ("MINOR", "src/main/java/io/demo/App.java", 9),
    ]
    assert report["issues_total"] == 3
    assert api.get(f"{P}/demo/pipelines/build/code-quality").json == report

    # complete: served again without asking SonarQube
    before = len(sandbox_sonarqube.seen("/api/"))
    assert api.get(f"{RUNS}/{number}/code-quality").json == report
    assert len(sandbox_sonarqube.seen("/api/")) == before

    # a run without an analysis, and a run that does not exist
    plain = api.get(f"{P}/demo/pipelines/plain/code-quality")
    assert plain.status_code == 404 and "recorded a SonarQube analysis" in plain.json["detail"]
    assert api.get(f"{RUNS}/999/code-quality").status_code == 404


def test_sonarqube_down_answers_503_for_this_view_only(
    api: ApiClient, container: Container, settings: Settings, demo: None, sandbox_sonarqube: SandboxSonarQube
) -> None:
    first = _finished_run(api, container, settings)
    _report(api, f"{RUNS}/{first}/code-quality")
    second = _finished_run(api, container, settings)
    sandbox_sonarqube.outage()
    try:
        down = api.get(f"{RUNS}/{second}/code-quality")
        assert down.status_code == 503 and int(down.headers["Retry-After"]) >= 1
        assert down.headers["Content-Type"] == "application/problem+json"
        assert api.get(f"{RUNS}/{second}").status_code == 200  # the rest of the run view works
        assert api.get(f"{RUNS}/{first}/code-quality").json["gate"] == "ERROR"  # cached
    finally:
        sandbox_sonarqube.recover()
    assert _report(api, f"{RUNS}/{second}/code-quality")["run"] == second
    assert api.get(f"{P}/demo/pipelines/build/code-quality").json["run"] == second


def test_a_refused_token_is_a_502_that_names_no_secret(
    api: ApiClient, container: Container, settings: Settings, demo: None, sandbox_sonarqube: SandboxSonarQube
) -> None:
    number = _finished_run(api, container, settings)
    del sandbox_sonarqube.state.tokens[sandbox_sonarqube.admin_token]
    refused = api.get(f"{RUNS}/{number}/code-quality")
    assert refused.status_code == 502 and "refused the bridge's token" in refused.json["detail"]
    assert sandbox_sonarqube.admin_token not in refused.get_data(as_text=True)
