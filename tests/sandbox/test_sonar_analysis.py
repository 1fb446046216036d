"""withSonarQubeEnv + ``mvn sonar:sonar`` in the sandbox Jenkins: the scanner submits the analysis to the
sandbox SonarQube over HTTP and the build records it as the sonar plugin's ``SonarAnalysisAction``."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from bridge.sandbox.jenkins import SandboxJenkins
from bridge.sandbox.jenkins.cascsonar import SonarInstallation
from bridge.sandbox.sonarqube import Account, Condition, Profile, SandboxSonarQube
from tests.fixtures.sandbox import SandboxFactory
from tests.sandbox.pipeline_helpers import SECRETS, SEED, create_job, fast, folder_with_credentials, wait_for
from tests.sandbox.wire import token_session

ANALYSIS = "hudson.plugins.sonar.action.SonarAnalysisAction"
SAMPLES = Path(__file__).parent / "samples" / "sonarqube"
JOB = "devops/quality"
SCRIPT = """pipeline {
  agent any
  stages {
    stage('sonarqube analysis') {
      steps {
        withCredentials([string(credentialsId: 'sonar-token', variable: 'SONAR_TOKEN')]) {
          withSonarQubeEnv('sonar') {
            sh "mvn sonar:sonar -Dsonar.login=$SONAR_TOKEN"
          }
        }
      }
    }
  }
}
"""


def _run(j: SandboxJenkins) -> tuple[dict, str]:  # type: ignore[type-arg]
    fast(j)
    s = folder_with_credentials(j, "devops", ["sonar-token"])
    create_job(j, JOB, SCRIPT)
    assert s.post(f"{j.url}job/devops/job/quality/build").status_code == 201
    base = f"{j.url}job/devops/job/quality/1/"
    info = wait_for(lambda: (i := s.get(base + "api/json").json())["result"] and i)
    return info, s.get(base + "consoleText").text


def _jenkins(factory: SandboxFactory, sonar: SandboxSonarQube, **kwargs: object) -> SandboxJenkins:
    return factory(sonar_installations=[SonarInstallation("sonar", sonar.url.rstrip("/"))], **kwargs)


def test_the_build_records_the_analysis_the_server_received(
    sandbox_jenkins_factory: SandboxFactory, sandbox_sonarqube: SandboxSonarQube
) -> None:
    sandbox_sonarqube.state.tokens[str(SECRETS["sonar-token"])] = sandbox_sonarqube.state.tokens[
        sandbox_sonarqube.admin_token
    ]
    j = _jenkins(sandbox_jenkins_factory, sandbox_sonarqube, sonar_scanner=True)
    info, console = _run(j)
    assert info["result"] == "SUCCESS", console
    (action,) = [a for a in info["actions"] if a.get("_class") == ANALYSIS]
    assert sorted(action) == sorted(
        [
            "_class",
            "ceTaskId",
            "credentialsId",
            "installationName",
            "installationUrl",
            "new",
            "serverUrl",
            "skipped",
            "sonarqubeDashboardUrl",
        ]
    )
    assert action["installationName"] == "sonar" and action["new"] is True and action["skipped"] is False
    documented = json.loads((SAMPLES / "jenkins-build-actions-sonar.json").read_text(encoding="utf-8"))
    (sample,) = [a for a in documented["actions"] if a.get("_class") == ANALYSIS]
    assert list(action) == list(sample)  # _class first, then Stapler's alphabetical order
    classes = [a.get("_class") for a in info["actions"]]
    assert classes.index(ANALYSIS) < classes.index("hudson.plugins.sonar.action.SonarBuildBadgeAction")
    assert sandbox_sonarqube.seen("/api/ce/submit") == ["POST /api/ce/submit"]
    task = requests.get(
        sandbox_sonarqube.url + "api/ce/task",
        params={"id": action["ceTaskId"]},
        auth=(sandbox_sonarqube.admin_token, ""),
        timeout=5,
    ).json()["task"]
    assert task["componentKey"] == "io.jenkins.sandbox:quality"
    assert action["sonarqubeDashboardUrl"].endswith("/dashboard?id=io.jenkins.sandbox%3Aquality")
    badge = [a for a in info["actions"] if a.get("_class", "").endswith("SonarBuildBadgeAction")]
    assert badge == [
        {
            "_class": "hudson.plugins.sonar.action.SonarBuildBadgeAction",
            "url": action["sonarqubeDashboardUrl"],
        }
    ]
    assert (
        f"More about the report processing at {sandbox_sonarqube.url.rstrip('/')}/api/ce/task?id=" in console
    )
    assert str(SECRETS["sonar-token"]) not in console
    # the action is what tree= queries (as clients ask for it) return too
    s = token_session(j)
    tree = s.get(
        f"{j.url}job/devops/job/quality/1/api/json", params={"tree": "actions[_class,ceTaskId]"}
    ).json()
    assert {"_class": ANALYSIS, "ceTaskId": action["ceTaskId"]} in tree["actions"]


def test_a_refused_token_fails_the_scan_like_maven(
    sandbox_jenkins_factory: SandboxFactory, sandbox_sonarqube: SandboxSonarQube
) -> None:
    j = _jenkins(sandbox_jenkins_factory, sandbox_sonarqube, sonar_scanner=True)
    info, console = _run(j)
    assert info["result"] == "FAILURE"
    assert "Not authorized. Please check the user token" in console
    (action,) = [a for a in info["actions"] if a.get("_class") == ANALYSIS]
    assert action["ceTaskId"] is None and action["skipped"] is True  # the result is set only at the end
    assert "Unable to locate 'report-task.txt' in the workspace" in console


def test_without_a_reachable_scanner_the_action_has_no_task(sandbox_jenkins: SandboxJenkins) -> None:
    info, console = _run(sandbox_jenkins)
    assert info["result"] == "SUCCESS", console
    (action,) = [a for a in info["actions"] if a.get("_class") == ANALYSIS]
    assert action["ceTaskId"] is None and action["skipped"] is True and action["serverUrl"] is None
    assert action["installationUrl"] == "http://sonarqube.sandbox:9000"


def test_an_unknown_installation_aborts_the_build(sandbox_jenkins: SandboxJenkins) -> None:
    fast(sandbox_jenkins)
    folder_with_credentials(sandbox_jenkins, "devops", ["sonar-token"])
    create_job(sandbox_jenkins, JOB, SCRIPT.replace("withSonarQubeEnv('sonar')", "withSonarQubeEnv('other')"))
    s = token_session(sandbox_jenkins)
    s.post(f"{sandbox_jenkins.url}job/devops/job/quality/build")
    base = f"{sandbox_jenkins.url}job/devops/job/quality/1/"
    info = wait_for(lambda: (i := s.get(base + "api/json").json())["result"] and i)
    assert info["result"] == "FAILURE"
    assert (
        "SonarQube installation defined in this job (other) does not match"
        in s.get(base + "consoleText").text
    )


def test_the_seed_jenkinsfile_records_its_analysis(
    sandbox_jenkins_factory: SandboxFactory, sandbox_sonarqube: SandboxSonarQube
) -> None:
    """The seed's `sonarqube analysis` stage, verbatim: `mvn sonar:sonar -Dsonar.login=$SONAR_TOKEN` with the
    project's sonar-token credential; the action is on the build while it waits for the first approval."""
    sandbox_sonarqube.state.tokens[str(SECRETS["sonar-token"])] = Account("jenkins", browse=False)
    j = _jenkins(sandbox_jenkins_factory, sandbox_sonarqube, sonar_scanner=True)
    fast(j)
    s = folder_with_credentials(j, "devops", ["dockerhub-id", "sonar-token", "rohan", "gondor", "shire"])
    create_job(j, "devops/build-and-deploy", SEED)
    assert s.post(f"{j.url}job/devops/job/build-and-deploy/build").status_code == 201
    base = f"{j.url}job/devops/job/build-and-deploy/1/"
    wait_for(lambda: s.get(base + "wfapi/pendingInputActions").json())
    actions = s.get(base + "api/json").json()["actions"]
    (action,) = [a for a in actions if a.get("_class") == ANALYSIS]
    assert action["ceTaskId"] in sandbox_sonarqube.state.tasks
    assert sandbox_sonarqube.state.tasks[action["ceTaskId"]].submitter == "jenkins"
    assert str(SECRETS["sonar-token"]) not in s.get(base + "consoleText").text


def test_the_analysis_survives_a_restart(
    sandbox_jenkins_factory: SandboxFactory, sandbox_sonarqube: SandboxSonarQube, tmp_path: Path
) -> None:
    sandbox_sonarqube.state.tokens[str(SECRETS["sonar-token"])] = Account("jenkins", browse=False)
    j = _jenkins(sandbox_jenkins_factory, sandbox_sonarqube, sonar_scanner=True, state_dir=tmp_path)
    info, _ = _run(j)
    (before,) = [a for a in info["actions"] if a.get("_class") == ANALYSIS]
    j.restart()
    s = token_session(j)
    after = s.get(f"{j.url}job/devops/job/quality/1/api/json").json()["actions"]
    assert [a for a in after if a.get("_class") == ANALYSIS] == [before]


GATED = """pipeline {
  agent any
  stages {
    stage('quality') {
      steps {
        withSonarQubeEnv('sonar') { sh 'mvn sonar:sonar -Dsonar.projectKey=demo' }
        script {
          def qg = waitForQualityGate()
          echo "gate: ${qg.status}"
        }
        waitForQualityGate abortPipeline: true
      }
    }
  }
}
"""


def test_wait_for_quality_gate_reads_the_recorded_analysis(
    sandbox_jenkins_factory: SandboxFactory, sandbox_sonarqube: SandboxSonarQube
) -> None:
    sandbox_sonarqube.state.tokens[str(SECRETS["sonar-token"])] = Account("jenkins")
    sandbox_sonarqube.profile(
        "demo",
        Profile(new_measures={"new_coverage": "12.0"}, conditions=(Condition("new_coverage", "LT", "80"),)),
    )
    installation = SonarInstallation("sonar", sandbox_sonarqube.url.rstrip("/"), "sonar-token")
    j = sandbox_jenkins_factory(sonar_installations=[installation], sonar_scanner=True)
    fast(j)
    s = folder_with_credentials(j, "devops", ["sonar-token"])
    create_job(j, JOB, GATED)
    assert s.post(f"{j.url}job/devops/job/quality/build").status_code == 201
    base = f"{j.url}job/devops/job/quality/1/"
    info = wait_for(lambda: (i := s.get(base + "api/json").json())["result"] and i, timeout=20)
    console = s.get(base + "consoleText").text
    assert info["result"] == "FAILURE", console
    (action,) = [a for a in info["actions"] if a.get("_class") == ANALYSIS]
    assert f"Checking status of SonarQube task '{action['ceTaskId']}' on server 'sonar'" in console
    assert "gate: ERROR" in console
    assert "Pipeline aborted due to quality gate failure: ERROR" in console
    assert str(SECRETS["sonar-token"]) not in console
