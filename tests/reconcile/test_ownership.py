"""Ownership across restarts: the marker in Jenkins decides, the store's ledger remembers what we created.

Each scenario runs twice: with the same provisioner between passes, and with a fresh one (a worker
restart: nothing kept in memory, only the desired state and its ledger).
"""

from __future__ import annotations

import pytest

from bridge.domain.model import (
    Credential,
    CredentialType,
    Pipeline,
    Project,
    SecretData,
    SyncStatus,
)
from bridge.domain.plan import Op
from bridge.reconcile.ports import Kind, Ref
from bridge.reconcile.provision import Provisioner
from tests.reconcile.doubles import FakeJenkins, Item, MemoryDesiredState

KEY = b"o" * 32
FOLDER_TAG = "com.cloudbees.hudson.plugins.folder.Folder"
PROJECT = Ref(Kind.PROJECT, "demo")
CRED = Ref(Kind.CREDENTIAL, "demo", "git")
JOB = Ref(Kind.PIPELINE, "demo", "build")
NOT_MANAGED = "exists in Jenkins and is not managed by the bridge"


def declare() -> MemoryDesiredState:
    desired = MemoryDesiredState()
    desired.put(Project(name="demo", workspace="w", description="Demo"))
    desired.put(
        Credential(
            project="demo",
            id="git",
            type=CredentialType.BASIC_AUTH,
            data=SecretData(username="u", password="pw"),
        )
    )
    desired.put(Pipeline(project="demo", name="build", jenkinsfile="echo hi"))
    return desired


class World:
    def __init__(self, *, restart: bool) -> None:
        self.desired, self.jenkins, self.restart = declare(), FakeJenkins(), restart
        self.provisioner = self._new()

    def _new(self) -> Provisioner:
        return Provisioner(desired=self.desired, jenkins=self.jenkins, key=KEY)

    def run(self) -> list[tuple[Op, str]]:
        if self.restart:
            self.provisioner = self._new()
        result = self.provisioner.run()
        return [(a.op, str(a.ref)) for a in result.applied]


@pytest.fixture(params=[False, True], ids=["same-process", "after-restart"])
def world(request: pytest.FixtureRequest) -> World:
    return World(restart=request.param)


def _strip(config: bytes) -> bytes:
    start, end = config.index(b"<description>"), config.index(b"</description>")
    return (
        config[:start]
        + b"<description>rewritten by hand</description>"
        + config[end + len(b"</description>") :]
    )


def test_created_items_are_recorded_in_the_ledger(world: World) -> None:
    world.run()
    assert world.desired.owned_ == {PROJECT, CRED, JOB}
    writes = world.jenkins.counter.writes
    assert world.run() == [] and world.jenkins.counter.writes == writes


@pytest.mark.parametrize("what", ["folder", "job", "credential"])
def test_marker_stripped_by_a_human_is_repaired(world: World, what: str) -> None:
    world.run()
    folder = world.jenkins.root["demo"]
    if what == "folder":
        pushed, folder.config = folder.config, _strip(folder.config)
    elif what == "job":
        pushed = folder.children["build"].config
        folder.children["build"].config = _strip(pushed)
    else:
        pushed = folder.credentials["git"]
        folder.credentials["git"] = _strip(pushed)
    applied = world.run()
    assert [op for op, _ in applied] == [Op.UPDATE]
    if what == "folder":
        assert b"managed-by=jenkins-bridge" in folder.config and b"rewritten" not in folder.config
    elif what == "job":
        assert folder.children["build"].config == pushed
    else:
        assert folder.credentials["git"] == pushed
    assert world.desired.sync[{"folder": PROJECT, "job": JOB, "credential": CRED}[what]].status is (
        SyncStatus.SYNCED
    )
    assert world.run() == []


def test_items_never_created_by_the_bridge_are_conflicts_and_untouched(world: World) -> None:
    world.run()
    foreign_job = b"<flow-definition><description>team job</description></flow-definition>"
    foreign_cred = b"<x><id>other</id><description>team secret</description></x>"
    world.jenkins.root["demo"].children["extra"] = Item(config=foreign_job)
    world.jenkins.root["demo"].credentials["other"] = foreign_cred
    world.desired.put(Pipeline(project="demo", name="extra", jenkinsfile="echo"))
    world.desired.put(
        Credential(project="demo", id="other", type=CredentialType.SECRET_TEXT, data=SecretData(secret="zz"))
    )
    foreign_folder = f"<{FOLDER_TAG}><description>team folder</description></{FOLDER_TAG}>".encode()
    world.jenkins.root["team"] = Item(config=foreign_folder)
    world.desired.put(Project(name="team", workspace="w"))
    for _ in range(2):
        assert world.run() == []
        for key in (
            Ref(Kind.PIPELINE, "demo", "extra"),
            Ref(Kind.CREDENTIAL, "demo", "other"),
            Ref(Kind.PROJECT, "team"),
        ):
            assert world.desired.sync[key].status is SyncStatus.ERROR
            assert (world.desired.sync[key].message or "").startswith(NOT_MANAGED)
    assert world.jenkins.root["demo"].children["extra"].config == foreign_job
    assert world.jenkins.root["demo"].credentials["other"] == foreign_cred
    assert world.jenkins.root["team"].config == foreign_folder
    assert Ref(Kind.PROJECT, "team") not in world.desired.owned_


def test_a_same_named_item_created_after_ours_was_deleted_is_not_claimed(world: World) -> None:
    world.run()
    world.desired.delete(JOB)
    assert world.run() == [(Op.DELETE, "pipeline demo/build")]
    assert JOB not in world.desired.owned_
    foreign = b"<flow-definition><description>someone else</description></flow-definition>"
    world.jenkins.root["demo"].children["build"] = Item(config=foreign)
    world.desired.put(Pipeline(project="demo", name="build", jenkinsfile="echo again"))
    assert world.run() == []
    assert world.jenkins.root["demo"].children["build"].config == foreign
    assert (world.desired.sync[JOB].message or "").startswith(NOT_MANAGED)


def test_an_item_seen_absent_is_forgotten(world: World) -> None:
    world.run()
    del world.jenkins.root["demo"]  # a human deleted the folder: the pass recreates it
    world.desired.delete(JOB)  # ... and the job is no longer wanted
    world.run()
    assert world.desired.owned_ == {PROJECT, CRED}


def test_marked_items_fill_an_empty_ledger(world: World) -> None:
    """After an upgrade the ledger starts empty; items carrying our marker are recorded on sight."""
    world.run()
    world.desired.owned_.clear()
    assert world.run() == []
    assert world.desired.owned_ == {PROJECT, CRED, JOB}


def test_a_project_delete_forgets_everything_recorded_in_it(world: World) -> None:
    world.run()
    world.desired.delete(PROJECT)
    assert world.run() == [(Op.DELETE, "project demo")]
    assert world.desired.owned_ == set()


def test_dry_run_changes_no_ledger(world: World) -> None:
    world.provisioner.run(dry_run=True)
    assert world.desired.owned_ == set()


def test_deleted_and_recreated_before_a_pass_stays_ours(world: World) -> None:
    world.run()
    world.desired.delete(JOB)
    world.desired.put(Pipeline(project="demo", name="build", jenkinsfile="echo hi"))
    assert world.run() == []  # the tombstone is dropped ("recreated"), the job is unchanged
    assert JOB in world.desired.owned_ and world.desired.tombstones_ == []
    folder = world.jenkins.root["demo"]
    folder.children["build"].config = _strip(folder.children["build"].config)
    assert world.run() == [(Op.UPDATE, "pipeline demo/build")]


def test_a_project_deleted_and_recreated_before_a_pass_starts_from_an_empty_folder(world: World) -> None:
    """The old folder's credentials belonged to the deleted project (maybe another team): never adopted."""
    world.run()
    world.desired.delete(PROJECT)
    world.desired.put(Project(name="demo", workspace="other-team"))
    world.desired.put(Pipeline(project="demo", name="deploy", jenkinsfile="echo new"))
    assert world.run() == [(Op.REPLACE, "project demo"), (Op.CREATE, "pipeline demo/deploy")]
    folder = world.jenkins.root["demo"]
    assert folder.credentials == {} and set(folder.children) == {"deploy"}
    deploy = Ref(Kind.PIPELINE, "demo", "deploy")
    assert world.desired.owned_ == {PROJECT, deploy} and world.desired.tombstones_ == []
    assert world.desired.sync[PROJECT].status is SyncStatus.SYNCED
    assert world.run() == []
