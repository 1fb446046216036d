"""API → store → worker → sandbox Jenkins over HTTP, checked with python-jenkins: the resulting folder,
job configs and credentials, sync state through the API, and conflicts with items the bridge did not
create."""

from __future__ import annotations

import base64
from datetime import datetime

import defusedxml.ElementTree as SafeET

from tests.e2e.conftest import P, Stack
from tests.e2e.declare import CREDENTIALS, JENKINSFILE, PASSWORD_DEFAULT, SECRETS, declare

CLASSES = {
    "git": "com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl",
    "token": "org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl",
    "ssh": "com.cloudbees.jenkins.plugins.sshcredentials.impl.BasicSSHUserPrivateKey",
    "file": "org.jenkinsci.plugins.plaincredentials.impl.FileCredentialsImpl",
    "rohan": "org.jenkinsci.plugins.plaincredentials.impl.FileCredentialsImpl",
}
PARAMS = "properties/hudson.model.ParametersDefinitionProperty/parameterDefinitions"
PATHS = [
    "/demo",
    *(f"/demo/credentials/{c}" for c in CREDENTIALS),
    "/demo/pipelines/build",
    "/demo/pipelines/app",
]


def test_declared_objects_become_jenkins_items_and_show_synced(stack: Stack) -> None:
    declare(stack.api)
    assert {stack.sync(p)["status"] for p in PATHS} == {"pending"}
    before = datetime.now().astimezone()
    result = stack.worker.poll()
    assert result is not None and not result.errors and result.writes == 8
    for path in PATHS:
        state = stack.sync(path)
        assert state["status"] == "synced" and state["message"] is None, path
        assert datetime.fromisoformat(state["synced_at"]) >= before.replace(microsecond=0)
    summary = stack.api.get("/api/v1/sync").json
    expected = {"credential": 5, "pipeline": 2, "project": 1}
    assert summary["counts"] == {k: {"pending": 0, "synced": n, "error": 0} for k, n in expected.items()}
    assert summary["errors"] == [] and summary["queued"] == 0
    assert stack.container.jenkins_probe is not None
    stack.container.jenkins_probe.wait()  # type: ignore[attr-defined]
    assert stack.api.get("/readyz").json == {
        "status": "ready",
        "store": "ok",
        "jenkins": "ok",
        "leader": "none",
    }

    j = stack.jenkins
    folder = j.get_job_info("demo")
    assert folder["_class"] == "com.cloudbees.hudson.plugins.folder.Folder"
    assert folder["description"].startswith("Demo & <friends>")
    assert sorted(job["name"] for job in folder["jobs"]) == ["app", "build"]

    build = SafeET.fromstring(j.get_job_config("demo/build").encode())
    assert build.findtext("definition/script") == JENKINSFILE
    assert build.findtext("definition/sandbox") == "true"
    params = {p.findtext("name"): p for p in build.findall(f"{PARAMS}/*")}
    declared = {"TAG", "ENV", "DRY", "NOTES", "DEPLOY_PW"}  # the bridge may add its own (attribution)
    assert {name: p.tag.rsplit(".", 1)[1] for name, p in params.items() if name in declared} == {
        "TAG": "StringParameterDefinition",
        "ENV": "ChoiceParameterDefinition",
        "DRY": "BooleanParameterDefinition",
        "NOTES": "TextParameterDefinition",
        "DEPLOY_PW": "PasswordParameterDefinition",
    }
    assert params["TAG"].findtext("defaultValue") == "latest"
    assert params["TAG"].findtext("description") == "image tag"
    assert [s.text for s in params["ENV"].iter("string")] == ["dev", "prod"]
    assert params["DRY"].findtext("defaultValue") == "true"
    assert params["NOTES"].findtext("defaultValue") == "line 1\nline 2"
    rotator = build.find("properties/jenkins.model.BuildDiscarderProperty/strategy")
    assert rotator is not None and (rotator.findtext("daysToKeep"), rotator.findtext("numToKeep")) == (
        "7",
        "20",
    )
    assert (
        build.find(
            "properties/org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty"
        )
        is not None
    )
    assert build.findtext(".//hudson.triggers.TimerTrigger/spec") == "H 2 * * *"

    app = SafeET.fromstring(j.get_job_config("demo/app").encode())
    assert app.find("definition").get("class") == "org.jenkinsci.plugins.workflow.cps.CpsScmFlowDefinition"
    remote = app.find("definition/scm/userRemoteConfigs/hudson.plugins.git.UserRemoteConfig")
    assert remote is not None and remote.findtext("url") == "https://git.example.com/o/app.git"
    assert remote.findtext("credentialsId") == "git"
    assert app.findtext("definition/scm/branches/hudson.plugins.git.BranchSpec/name") == "*/release"
    assert app.findtext("definition/scriptPath") == "ci/Jenkinsfile"

    listed = {c["id"] for c in j.list_credentials("demo")}
    assert listed == set(CREDENTIALS)
    for cid in listed:
        text = j.get_credential_config(cid, "demo")
        assert SafeET.fromstring(text.encode()).tag == CLASSES[cid]
        assert "secret-redacted" in text
        for secret in SECRETS:
            assert secret not in text and base64.b64encode(secret.encode()).decode() not in text
    # the values did reach Jenkins (a build would get them)
    assert stack.sandbox_credential("demo", "token")["secret"] == "e2e-secret-text-2"
    assert stack.sandbox_credential("demo", "git")["password"] == "e2e-pw-basic-1"
    for response in stack.api.responses:
        body = response.get_data(as_text=True)
        assert not any(s in body for s in SECRETS)
    assert PASSWORD_DEFAULT not in str(stack.api.get(f"{P}/demo/pipelines/build").json)


def test_unmanaged_same_named_items_are_reported_and_untouched(stack: Stack) -> None:
    declare(stack.api)
    stack.worker.poll()
    j = stack.jenkins
    j.create_folder("legacy")
    foreign = "<flow-definition><description>hand-made job</description></flow-definition>"
    j.create_job("demo/manual", foreign)
    manual_before = j.get_job_config("demo/manual")
    assert stack.api.post(P, {"name": "legacy", "workspace": "ws"}).status_code == 201
    assert stack.api.post(f"{P}/legacy/pipelines", {"name": "p", "jenkinsfile": "echo"}).status_code == 201
    assert stack.api.post(f"{P}/demo/pipelines", {"name": "manual", "jenkinsfile": "echo"}).status_code == 201
    for _ in range(2):  # a second pass (the full resync) changes nothing either
        stack.worker.resync()
        manual = stack.sync("/demo/pipelines/manual")
        assert manual["status"] == "error"
        assert "not managed by the bridge" in manual["message"] and "'demo/manual'" in manual["message"]
        assert "Rename this pipeline" in manual["message"]
        legacy = stack.sync("/legacy")
        assert legacy["status"] == "error" and "'legacy'" in legacy["message"]
        inner = stack.sync("/legacy/pipelines/p")
        assert inner["status"] == "error" and "folder" in inner["message"]
    assert j.get_job_config("demo/manual") == manual_before
    assert j.get_job_info("legacy")["jobs"] == [] and not j.get_job_info("legacy").get("description")
    errors = {(e["project"], e["name"]) for e in stack.api.get("/api/v1/sync").json["errors"]}
    assert errors == {("demo", "manual"), ("legacy", ""), ("legacy", "p")}
    assert stack.sync("/demo/pipelines/build")["status"] == "synced"


def test_a_project_deleted_and_recreated_between_passes_gets_a_fresh_folder(stack: Stack) -> None:
    """The deleted project's credentials stay out of reach of whoever declares the name next."""
    declare(stack.api)
    assert stack.worker.poll() is not None
    assert stack.api.delete(f"{P}/demo").status_code == 202
    assert stack.api.post("/api/v1/workspaces", {"name": "other"}).status_code == 201
    assert stack.api.post(P, {"name": "demo", "workspace": "other"}).status_code == 201
    result = stack.worker.poll()
    assert result is not None and not result.errors
    assert stack.jenkins.get_job_info("demo")["jobs"] == []
    with stack.sandbox.state.lock:  # what Jenkins holds, secrets included: nothing of the old project
        assert stack.sandbox.state.find_item("demo").store.credentials == {}  # type: ignore[union-attr]
    assert stack.sync("/demo")["status"] == "synced"
    assert stack.api.get("/api/v1/sync").json["tombstones"] == 0
