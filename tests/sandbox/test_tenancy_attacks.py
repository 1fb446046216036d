"""The Jenkins-side tenancy attacks of issue 8 fail against the sandbox loaded with the SHIPPED
jenkins-config/ (folders and jobs as the bridge renders them); each test also runs the attack against a
configuration without the fix, to show that the sandbox would let it through there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bridge.sandbox.jenkins import SandboxJenkins, acl, nodes
from tests.sandbox.pipeline_helpers import SECRETS, SEED, wait_for
from tests.sandbox.tenancy_helpers import (
    ADMIN_PASSWORD,
    BRIDGE,
    PREFIX,
    SHIPPED,
    job,
    project,
    session,
    start,
)
from tests.sandbox.wire import pipeline_xml

ATTACK_NODE = "node('built-in') { sh 'cat $JENKINS_HOME/secrets/master.key; env' }"
ATTACK_BUILD = (
    "build job: '/team-b/deploy', parameters: [string(name: 'BRIDGE_REQUESTED_BY', value: 'mallory')]"
)


def vulnerable_casc(tmp: Path) -> Path:
    """The configuration before the fix: executors on the controller, globalMatrix with job rights for
    everyone, no authorize-project (builds run as SYSTEM)."""
    config = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    config["jenkins"]["numExecutors"] = 2
    entries = config["jenkins"]["authorizationStrategy"]["projectMatrix"]["entries"]
    entries[-1]["group"]["permissions"] += ["Job/Read", "Job/Build", "Job/Cancel", "Run/Replay"]
    config["jenkins"]["authorizationStrategy"] = {"globalMatrix": {"entries": entries}}
    del config["security"]["queueItemAuthenticator"]
    path = tmp / "vulnerable.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def run(j: SandboxJenkins, path: str, user: str = BRIDGE) -> tuple[str, str]:
    """Trigger as ``user``, wait for the end: (result, console)."""
    s = session(j, user)
    base = j.url + "".join(f"job/{p}/" for p in path.split("/"))
    assert s.post(base + "build").status_code == 201
    info = wait_for(lambda: (i := s.get(base + "1/api/json").json())["result"] and i)
    return info["result"], s.get(base + "1/consoleText").text


def two_projects(j: SandboxJenkins) -> None:
    project(j, "team-a", {"alice": "admin"}, credentials=("dockerhub-id",))
    project(j, "team-b", {"bob": "admin"}, credentials=("sonar-token", "shire"))
    job(j, "team-b", "deploy", 'echo "requested by ${params.BRIDGE_REQUESTED_BY}"', ("BRIDGE_REQUESTED_BY",))


def builds_of(j: SandboxJenkins, path: str) -> int:
    with j.state.lock:
        found = j.state.find_item(path)
        return len(found.builds)  # type: ignore[union-attr]


def test_built_in_node_never_runs_a_build_and_its_environment_stays_hidden(
    sandbox_jenkins_factory: Any, tmp_path: Path
) -> None:
    env = {"JENKINS_ADMIN_PASSWORD": ADMIN_PASSWORD}  # even if an operator put a secret in the environment
    j = start(sandbox_jenkins_factory, tmp_path, environ=env)
    two_projects(j)
    job(j, "team-a", "steal", ATTACK_NODE)
    s = session(j)
    assert s.post(f"{j.url}job/team-a/job/steal/build").status_code == 201
    console_url = f"{j.url}job/team-a/job/steal/1/consoleText"
    text = wait_for(lambda: "Waiting for next available executor" in (t := s.get(console_url).text) and t)
    assert "Still waiting to schedule task" in text
    assert "+ cat" not in text and ADMIN_PASSWORD not in text
    assert s.get(f"{j.url}job/team-a/job/steal/1/api/json").json()["building"] is True
    assert s.post(f"{j.url}job/team-a/job/steal/1/stop").status_code in (200, 302)
    info = wait_for(lambda: (i := s.get(f"{j.url}job/team-a/job/steal/1/api/json").json())["result"] and i)
    assert info["result"] == "ABORTED"
    text = s.get(console_url).text
    assert "master.key" not in text.replace("cat $JENKINS_HOME/secrets/master.key", "")
    assert ADMIN_PASSWORD not in text

    # without the fix the same Jenkinsfile prints the key and the controller's environment
    weak = start(sandbox_jenkins_factory, tmp_path / "weak", casc=vulnerable_casc(tmp_path), environ=env)
    two_projects(weak)
    job(weak, "team-a", "steal", ATTACK_NODE)
    result, console = run(weak, "team-a/steal")
    assert result == "SUCCESS"
    assert f"JENKINS_ADMIN_PASSWORD={ADMIN_PASSWORD}" in console
    assert nodes._master_key(weak.state) in console


def test_agents_get_the_build_not_the_controller_environment(
    sandbox_jenkins_factory: Any, tmp_path: Path
) -> None:
    j = start(sandbox_jenkins_factory, tmp_path, environ={"JENKINS_ADMIN_PASSWORD": ADMIN_PASSWORD})
    two_projects(j)
    job(
        j,
        "team-a",
        "env",
        "pipeline { agent { node { label 'maven' } }\n stages { stage('x') { steps { sh 'env' } } } }",
    )
    result, console = run(j, "team-a/env")
    assert result == "SUCCESS", console
    assert "Running on maven-" in console and "NODE_NAME=maven-" in console
    assert ADMIN_PASSWORD not in console and "JENKINS_ADMIN_PASSWORD" not in console


def test_unlabelled_blocks_run_on_a_pod_too(sandbox_jenkins_factory: Any, tmp_path: Path) -> None:
    """``agent any`` and ``node {}`` go to the NORMAL-mode pod template ``base`` (never the controller)."""
    j = start(sandbox_jenkins_factory, tmp_path)
    two_projects(j)
    job(j, "team-a", "any", "pipeline { agent any\n stages { stage('x') { steps { sh 'hostname' } } } }")
    job(j, "team-a", "plain", "node { sh 'hostname' }")
    for name in ("any", "plain"):
        result, text = run(j, f"team-a/{name}")
        assert result == "SUCCESS", text
        assert "Running on base-" in text


@pytest.mark.parametrize("trigger", [BRIDGE, "alice"], ids=["parameter-mode", "user-token-mode"])
def test_cross_project_build_step_fails_with_jenkins_wording(
    sandbox_jenkins_factory: Any, tmp_path: Path, trigger: str
) -> None:
    j = start(sandbox_jenkins_factory, tmp_path)
    two_projects(j)
    job(j, "team-a", "hop", ATTACK_BUILD)
    result, console = run(j, "team-a/hop", trigger)
    assert result == "FAILURE"
    assert "ERROR: No item named /team-b/deploy found" in console
    assert builds_of(j, "team-b/deploy") == 0


def test_cross_project_build_of_a_readable_job_needs_job_build(
    sandbox_jenkins_factory: Any, tmp_path: Path
) -> None:
    j = start(sandbox_jenkins_factory, tmp_path)
    project(j, "team-a", {"alice": "admin"})
    project(j, "team-b", {"bob": "admin", PREFIX + "team-a": "viewer"})
    job(j, "team-b", "deploy", "echo deploy", ("BRIDGE_REQUESTED_BY",))
    job(j, "team-a", "hop", ATTACK_BUILD)
    result, console = run(j, "team-a/hop")
    assert result == "FAILURE"
    assert (
        f"hudson.security.AccessDeniedException3: {PREFIX}team-a is missing the Job/Build permission"
        in console
    )
    assert builds_of(j, "team-b/deploy") == 0


def test_without_the_fix_a_build_step_starts_the_other_project_with_forged_parameters(
    sandbox_jenkins_factory: Any, tmp_path: Path
) -> None:
    j = start(sandbox_jenkins_factory, tmp_path, casc=vulnerable_casc(tmp_path))
    two_projects(j)
    job(j, "team-a", "hop", ATTACK_BUILD)
    result, console = run(j, "team-a/hop")
    assert result == "SUCCESS", console
    assert "Scheduling project: team-b » deploy" in console
    s = session(j)
    text = wait_for(
        lambda: (
            s.get(f"{j.url}job/team-b/job/deploy/1/consoleText").text.endswith("SUCCESS\n")
            and s.get(f"{j.url}job/team-b/job/deploy/1/consoleText").text
        )
    )
    assert "requested by mallory" in text


def test_a_user_of_team_a_cannot_see_or_act_on_team_b(sandbox_jenkins_factory: Any, tmp_path: Path) -> None:
    j = start(sandbox_jenkins_factory, tmp_path, users=("alice", "bob", "carol"))
    two_projects(j)
    project(j, "team-c", {"carol": "viewer"})
    job(j, "team-c", "app", "echo app")
    alice = session(j, "alice")
    for path in ("job/team-b/api/json", "job/team-b/job/deploy/api/json", "job/team-b/job/deploy/config.xml"):
        assert alice.get(j.url + path).status_code == 404, path
    for path in ("job/team-b/job/deploy/build", "job/team-b/job/deploy/buildWithParameters"):
        assert alice.post(j.url + path).status_code == 404, path
    assert [x["name"] for x in alice.get(j.url + "api/json").json()["jobs"]] == ["team-a"]
    # a viewer sees the job but may not build: 403 with Jenkins's headers
    carol = session(j, "carol")
    r = carol.post(f"{j.url}job/team-c/job/app/build")
    assert r.status_code == 403
    assert "carol is missing the Job/Build permission" in r.text
    assert r.headers["X-Required-Permission"] == "hudson.model.Item.Build"
    assert r.headers["X-You-Are-Authenticated-As"] == "carol"
    implied = r.raw.headers.getlist("X-Permission-Implied-By")
    assert implied == [
        "hudson.security.Permission.GenericUpdate",
        "hudson.security.Permission.GenericWrite",
        "hudson.model.Hudson.Administer",
    ]
    # an admin of team-a builds there, and may replay its own builds only
    assert session(j, BRIDGE).post(f"{j.url}job/team-b/job/deploy/buildWithParameters").status_code == 201
    wait_for(lambda: session(j).get(f"{j.url}job/team-b/job/deploy/1/api/json").json()["result"])
    assert alice.post(f"{j.url}job/team-b/job/deploy/1/replay/rebuild").status_code == 404
    bob = session(j, "bob")
    assert bob.post(f"{j.url}job/team-b/job/deploy/1/replay/rebuild").status_code in (200, 302)


def test_a_team_a_build_cannot_read_team_b_credentials(sandbox_jenkins_factory: Any, tmp_path: Path) -> None:
    j = start(sandbox_jenkins_factory, tmp_path)
    two_projects(j)
    script = (
        "node('maven') {\n"
        "  withCredentials([string(credentialsId: 'sonar-token', variable: 'T')]) { sh 'echo $T' }\n"
        "}"
    )
    job(j, "team-a", "peek", script)
    result, console = run(j, "team-a/peek")
    assert result == "FAILURE"
    assert "sonar-token" in console and "Could not find credentials entry with ID 'sonar-token'" in console
    assert str(SECRETS["sonar-token"]) not in console
    # the same job in team-b (its own folder) binds it, masked
    job(j, "team-b", "peek", script)
    result, console = run(j, "team-b/peek")
    assert result == "SUCCESS", console
    assert "+ echo ****" in console


def test_only_an_identity_with_job_configure_uses_the_folder_credentials(
    sandbox_jenkins_factory: Any, tmp_path: Path
) -> None:
    """A job without the authorize-project property runs as anonymous: even its own folder's credentials
    are out of reach (Credentials/UseItem, implied by Job/Configure, is what the project identity holds)."""
    j = start(sandbox_jenkins_factory, tmp_path)
    two_projects(j)
    script = "withCredentials([usernamePassword(credentialsId: 'dockerhub-id', usernameVariable: 'U', "
    script += "passwordVariable: 'P')]) { echo 'bound' }"
    job(j, "team-a", "own", script)
    result, text = run(j, "team-a/own")
    assert result == "SUCCESS", text
    r = session(j).post(
        f"{j.url}job/team-a/createItem",
        params={"name": "stray"},
        data=pipeline_xml(script),
        headers={"Content-Type": "application/xml"},
    )
    assert r.status_code == 200
    result, text = run(j, "team-a/stray")
    assert result == "FAILURE" and "Could not find credentials entry with ID 'dockerhub-id'" in text


@pytest.mark.parametrize("kind", ["timer", "scm"])
def test_nothing_runs_as_system_even_cron_and_scm_builds(
    sandbox_jenkins_factory: Any, tmp_path: Path, kind: str
) -> None:
    j = start(sandbox_jenkins_factory, tmp_path)
    two_projects(j)
    s = session(j)
    r = s.post(
        f"{j.url}job/team-a/createItem",
        params={"name": "stray"},
        data=job_without_property(),
        headers={"Content-Type": "application/xml"},
    )
    assert r.status_code == 200
    for path in ("team-b/deploy", "team-a/stray"):
        j.fire_trigger(path, kind)
    wait_for(lambda: builds_of(j, "team-b/deploy") and builds_of(j, "team-a/stray"))
    with j.state.lock:
        deploy = j.state.find_item("team-b/deploy").builds[1]  # type: ignore[union-attr]
        stray = j.state.find_item("team-a/stray").builds[1]  # type: ignore[union-attr]
    assert deploy.identity.name == PREFIX + "team-b" and not deploy.identity.is_system
    assert stray.identity == acl.ANONYMOUS

    weak = start(sandbox_jenkins_factory, tmp_path / "weak", casc=vulnerable_casc(tmp_path))
    two_projects(weak)
    weak.fire_trigger("team-b/deploy", kind)
    wait_for(lambda: builds_of(weak, "team-b/deploy"))
    with weak.state.lock:
        assert weak.state.find_item("team-b/deploy").builds[1].identity.is_system  # type: ignore[union-attr]


def job_without_property() -> str:
    return pipeline_xml("node('maven') { sh 'true' }")


def test_the_seed_pipeline_still_runs_to_its_inputs_and_to_success(
    sandbox_jenkins_factory: Any, tmp_path: Path
) -> None:
    j = start(sandbox_jenkins_factory, tmp_path)
    project(
        j,
        "devops",
        {"alice": "admin"},
        credentials=("dockerhub-id", "sonar-token"),
        secret_files=("rohan", "gondor", "shire"),
    )
    job(j, "devops", "build-and-deploy", SEED)
    s = session(j)
    base = f"{j.url}job/devops/job/build-and-deploy/1/"
    assert s.post(f"{j.url}job/devops/job/build-and-deploy/build").status_code == 201
    for input_id in ("Deploy-to-staging", "Deploy-to-production"):
        wait_for(
            lambda i=input_id: [p for p in s.get(base + "wfapi/pendingInputActions").json() if p["id"] == i]
        )
        assert session(j, "alice").post(base + f"input/{input_id}/proceedEmpty").status_code == 200
    info = wait_for(lambda: (i := s.get(base + "api/json").json())["result"] and i)
    console = s.get(base + "consoleText").text
    assert info["result"] == "SUCCESS", console
    assert "Running on maven-" in console
    assert "+ docker login docker.io -u **** --password-stdin" in console
    assert "Approved by alice" in console


def test_a_build_step_within_the_own_project_still_works(
    sandbox_jenkins_factory: Any, tmp_path: Path
) -> None:
    j = start(sandbox_jenkins_factory, tmp_path)
    two_projects(j)
    job(j, "team-a", "deploy", 'echo "deploying ${params.TARGET}"', ("TARGET",))
    job(j, "team-a", "chain", "build job: 'deploy', parameters: [string(name: 'TARGET', value: 'rohan')]")
    job(j, "team-a", "sneak", "build job: '../team-b/deploy'")
    result, text = run(j, "team-a/chain")
    assert result == "SUCCESS", text
    assert "Scheduling project: team-a » deploy" in text and "Starting building: team-a » deploy #1" in text
    downstream = session(j).get(f"{j.url}job/team-a/job/deploy/1/consoleText").text
    assert 'Started by upstream project "team-a/chain" build number 1' in downstream
    assert "deploying rohan" in downstream
    with j.state.lock:
        build = j.state.find_item("team-a/deploy").builds[1]  # type: ignore[union-attr]
    assert build.identity.name == PREFIX + "team-a"
    result, text = run(j, "team-a/sneak")
    assert result == "FAILURE" and "ERROR: No item named ../team-b/deploy found" in text
