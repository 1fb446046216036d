"""Provisioning into the sandbox Jenkins over HTTP, checked with python-jenkins.

The desired state is the in-memory double (the store's own tests cover the store); Jenkins is the
wire-level sandbox, reached through the real adapter, with and without a URL prefix.
"""

from __future__ import annotations

import base64
import dataclasses

import defusedxml.ElementTree as SafeET
import jenkins as pyjenkins
import pytest

from bridge.adapters.jenkins.client import JenkinsAdapter
from bridge.domain.model import (
    Credential,
    CredentialType,
    Discarder,
    Parameter,
    ParameterType,
    Pipeline,
    Project,
    ScmSource,
    SecretData,
    SyncStatus,
)
from bridge.reconcile.ports import Kind, Ref
from bridge.reconcile.provision import Provisioner
from tests.reconcile.doubles import MemoryDesiredState

SECRETS = {"pw-1", "s3cret-text", "PRIVATE-KEY", "file-content", "kube: config"}
NOT_MANAGED = "exists in Jenkins and is not managed by the bridge"


def declare(desired: MemoryDesiredState) -> None:
    desired.put(Project(name="demo", workspace="w", description="Demo & <friends>"))
    creds = [
        ("git", CredentialType.BASIC_AUTH, {"username": "bot", "password": "pw-1"}),
        ("token", CredentialType.SECRET_TEXT, {"secret": "s3cret-text"}),
        ("ssh", CredentialType.SSH_AUTH, {"username": "git", "private_key": "PRIVATE-KEY"}),
        ("file", CredentialType.SECRET_FILE, {"filename": "f.txt", "content": "file-content"}),
        ("rohan", CredentialType.KUBECONFIG, {"content": "kube: config"}),
    ]
    for cid, kind, data in creds:
        desired.put(Credential(project="demo", id=cid, type=kind, data=SecretData(data)))
    desired.put(
        Pipeline(
            project="demo",
            name="build",
            description="builds ]]> things",
            jenkinsfile="pipeline { agent any\n stages { stage('a') {\n"
            'steps { echo "</script> & done" } } } }',
            parameters=(
                Parameter(name="TAG", default="latest"),
                Parameter(name="ENV", type=ParameterType.CHOICE, choices=("dev", "prod")),
                Parameter(name="DRY", type=ParameterType.BOOLEAN, default=True),
            ),
            discarder=Discarder(days=7, builds=20),
            concurrent=False,
            cron="H 2 * * *",
        )
    )
    desired.put(
        Pipeline(
            project="demo",
            name="app",
            scm=ScmSource(url="https://git.example.com/o/app.git", branch="main", credential="git"),
        )
    )


@pytest.fixture(params=["", "/jenkins"], ids=["root", "prefix"])
def setup(request, sandbox_jenkins_factory):  # type: ignore[no-untyped-def]
    sandbox = (
        sandbox_jenkins_factory(url_prefix=request.param) if request.param else sandbox_jenkins_factory()
    )
    adapter = JenkinsAdapter.connect(
        sandbox.url, user=sandbox.admin_user, token=sandbox.admin_token, retries=1, backoff=0.01
    )
    desired = MemoryDesiredState()
    declare(desired)
    provisioner = Provisioner(desired=desired, jenkins=adapter, key=b"k" * 32)
    client = pyjenkins.Jenkins(sandbox.url, username=sandbox.admin_user, password=sandbox.admin_token)
    return sandbox, adapter, desired, provisioner, client


def test_provisions_folders_jobs_and_credentials(setup) -> None:  # type: ignore[no-untyped-def]
    _, _, desired, provisioner, client = setup
    result = provisioner.run()
    assert not result.errors and result.writes == 8
    folder = client.get_job_info("demo")
    assert folder["_class"] == "com.cloudbees.hudson.plugins.folder.Folder"
    assert sorted(j["name"] for j in folder["jobs"]) == ["app", "build"]
    config = SafeET.fromstring(client.get_job_config("demo/build").encode())
    assert config.findtext("definition/sandbox") == "true"
    assert "</script> & done" in (config.findtext("definition/script") or "")
    assert config.findtext(".//hudson.triggers.TimerTrigger/spec") == "H 2 * * *"
    scm = SafeET.fromstring(client.get_job_config("demo/app").encode())
    assert scm.findtext(".//hudson.plugins.git.UserRemoteConfig/credentialsId") == "git"
    ids = {c["id"] for c in client.list_credentials("demo")}
    assert ids == {"git", "token", "ssh", "file", "rohan"}
    classes = {cid: SafeET.fromstring(client.get_credential_config(cid, "demo").encode()).tag for cid in ids}
    assert classes == {
        "git": "com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl",
        "token": "org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl",
        "ssh": "com.cloudbees.jenkins.plugins.sshcredentials.impl.BasicSSHUserPrivateKey",
        "file": "org.jenkinsci.plugins.plaincredentials.impl.FileCredentialsImpl",
        "rohan": "org.jenkinsci.plugins.plaincredentials.impl.FileCredentialsImpl",
    }
    for cid in ids:
        text = client.get_credential_config(cid, "demo")
        assert not any(s in text or base64.b64encode(s.encode()).decode() in text for s in SECRETS)
    assert {s.status for s in desired.sync.values()} == {SyncStatus.SYNCED}


def test_noop_pass_is_cheap_and_one_change_is_one_write(setup) -> None:  # type: ignore[no-untyped-def]
    _, adapter, desired, provisioner, _ = setup
    provisioner.run()
    before = adapter.counter.snapshot()
    assert provisioner.run().writes == 0
    after = adapter.counter.snapshot()
    assert after.get("GET", 0) - before.get("GET", 0) <= 2 and after.get("POST") == before.get("POST")
    desired.put(dataclasses.replace(desired.pipelines_[("demo", "build")], cron="@daily"))
    writes = adapter.counter.writes
    assert provisioner.run(["demo"]).writes == 1 and adapter.counter.writes - writes == 1


@pytest.mark.parametrize("what", ["folder", "job", "credential"])
def test_drift_is_repaired(setup, what: str) -> None:  # type: ignore[no-untyped-def]
    _, _, _, provisioner, client = setup
    provisioner.run()
    if what == "folder":
        client.delete_job("demo")
    elif what == "job":
        client.reconfig_job(
            "demo/build", "<flow-definition><description>edited</description></flow-definition>"
        )
    else:
        client.delete_credential("token", "demo")
    assert provisioner.run().writes >= 1
    assert "sandbox" in client.get_job_config("demo/build")
    assert client.credential_exists("token", "demo")


def test_unmanaged_same_named_items_are_conflicts_and_untouched(setup) -> None:  # type: ignore[no-untyped-def]
    _, _, desired, provisioner, client = setup
    client.create_folder("other")
    desired.put(Project(name="other", workspace="w"))
    desired.put(Pipeline(project="other", name="p", jenkinsfile="echo"))
    provisioner.run()
    assert (desired.sync[Ref(Kind.PROJECT, "other")].message or "").startswith(NOT_MANAGED)
    assert desired.sync[Ref(Kind.PIPELINE, "other", "p")].status is SyncStatus.ERROR
    assert client.get_job_info("other")["jobs"] == []
    foreign = "<flow-definition><description>someone else</description></flow-definition>"
    client.create_job("demo/extra", foreign)
    desired.put(Pipeline(project="demo", name="extra", jenkinsfile="echo"))
    provisioner.run()
    provisioner.run()
    assert "someone else" in client.get_job_config("demo/extra")
    assert (desired.sync[Ref(Kind.PIPELINE, "demo", "extra")].message or "").startswith(NOT_MANAGED)
    assert desired.sync[Ref(Kind.PIPELINE, "demo", "build")].status is SyncStatus.SYNCED


def test_writes_during_an_outage_are_applied_after_it(setup) -> None:  # type: ignore[no-untyped-def]
    sandbox, _, desired, provisioner, client = setup
    provisioner.run()
    sandbox.outage()
    desired.put(Pipeline(project="demo", name="late", jenkinsfile="echo late"))
    desired.delete(Ref(Kind.CREDENTIAL, "demo", "token"))
    result = provisioner.run()
    assert result.retry == {"demo"}
    assert desired.sync[Ref(Kind.PIPELINE, "demo", "late")].status is SyncStatus.PENDING
    sandbox.recover()
    result = provisioner.run()
    assert not result.retry and not result.errors
    assert client.job_exists("demo/late") and not client.credential_exists("token", "demo")
    assert desired.tombstones_ == []
