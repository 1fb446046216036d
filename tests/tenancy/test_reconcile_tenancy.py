"""Tenancy reconciled into the sandbox Jenkins over HTTP: the real store (role bindings, dirty keys),
the real adapter, the reconciler with project identities created through ``createAccountByAdmin``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import defusedxml.ElementTree as SafeET
import pytest
from cryptography.fernet import Fernet

from bridge.adapters.jenkins import identities as identities_module
from bridge.adapters.jenkins.client import JenkinsAdapter
from bridge.adapters.jenkins.configxml import folder_grants, parse_run_as
from bridge.adapters.jenkins.configxml.authz import parse_matrix
from bridge.adapters.jenkins.identities import IdentityUnavailable, JenkinsProjectIdentities
from bridge.domain.model import Pipeline, Project, SyncStatus, Workspace
from bridge.domain.plan import PROJECT, Op
from bridge.identity.bindings import BindingStore, Scope, SubjectKind
from bridge.identity.roles import Role
from bridge.identity.tenancy import Member
from bridge.reconcile.ports import Kind, Ref
from bridge.reconcile.provision import PassResult, Provisioner
from bridge.sandbox.jenkins import SandboxJenkins
from bridge.sandbox.jenkins.model import User
from bridge.services.pipelines import PipelineService
from bridge.services.projects import ProjectService
from bridge.services.workspaces import WorkspaceService
from bridge.store.crypto import SecretBox
from bridge.store.desired import StoreDesiredState
from bridge.store.engine import make_engine
from bridge.store.unit import Store
from tests.fixtures.leaks import register_secret
from tests.fixtures.sandbox import SandboxFactory, created_users

KEY = b"k" * 32


@dataclass
class World:
    sandbox: SandboxJenkins
    adapter: JenkinsAdapter
    store: Store
    desired: StoreDesiredState
    bindings: BindingStore
    provisioner: Provisioner

    def config(self, path: str) -> SafeET.Element:
        return SafeET.fromstring(self.adapter.item_config(path))

    def grant(self, scope: Scope, name: str, subject: str, role: Role, *, group: bool = False) -> None:
        kind = SubjectKind.GROUP if group else SubjectKind.USER
        self.bindings.grant(scope=scope, scope_name=name, kind=kind, subject=subject, role=role, by="t")

    def poll(self) -> PassResult:
        """What the worker's poll does: the projects of the dirty keys, nothing else."""
        keys = self.desired.take_dirty(1000)
        self.provisioner.invalidate(keys)
        return self.provisioner.run(sorted({k.project for k in keys}))


def make_world(tmp_path: Path, sandbox: SandboxJenkins) -> World:
    store = Store(make_engine(f"sqlite:///{tmp_path / 'b.db'}"), SecretBox(Fernet.generate_key().decode()))
    store.migrate()
    adapter = JenkinsAdapter.connect(
        sandbox.url, user=sandbox.admin_user, token=sandbox.admin_token, retries=0
    )
    desired = StoreDesiredState(store)
    provisioner = Provisioner(
        desired=desired, jenkins=adapter, key=KEY, identities=JenkinsProjectIdentities(adapter)
    )
    world = World(sandbox, adapter, store, desired, BindingStore(store.engine), provisioner)
    for ws in ("ws-a", "ws-b"):
        WorkspaceService(store).create(Workspace(name=ws))
    for name, ws in (("a1", "ws-a"), ("a2", "ws-a"), ("b1", "ws-b")):
        ProjectService(store).create(Project(name=name, workspace=ws))
        PipelineService(store).create(Pipeline(project=name, name="build", jenkinsfile="echo hi"))
    return world


@pytest.fixture
def world(tmp_path: Path, sandbox_jenkins: SandboxJenkins) -> Iterator[World]:
    w = make_world(tmp_path, sandbox_jenkins)
    yield w
    w.store.close()


def folder_writes(result: PassResult) -> list[str]:
    return sorted(a.ref.project for a in result.applied if a.ref.kind == PROJECT)


def test_identities_are_created_once_and_a_no_op_pass_writes_nothing(world: World) -> None:
    first = world.provisioner.run()
    assert not first.errors
    assert created_users(world.sandbox) == ["jb-project-a1", "jb-project-a2", "jb-project-b1"]
    before = world.adapter.counter.snapshot()
    again = world.provisioner.run()
    after = world.adapter.counter.snapshot()
    assert again.writes == 0 and not again.errors
    assert created_users(world.sandbox) == ["jb-project-a1", "jb-project-a2", "jb-project-b1"]
    assert after.get("POST", 0) == before.get("POST", 0)
    assert after["GET"] - before["GET"] <= 2 * 3  # at most two reads per project


def test_every_job_and_folder_carries_the_tenancy_properties(world: World) -> None:
    world.grant(Scope.WORKSPACE, "ws-a", "devs", Role.OPERATOR, group=True)
    world.grant(Scope.PROJECT, "a1", "alice", Role.ADMIN)
    assert not world.provisioner.run().errors
    for project in ("a1", "a2", "b1"):
        job = world.config(f"{project}/build")
        assert parse_run_as(job.find("properties")) == f"jb-project-{project}"
    assert parse_matrix(world.config("a1").find("properties")) == folder_grants(
        "jb-project-a1",
        [Member(True, "devs", Role.OPERATOR), Member(False, "alice", Role.ADMIN)],
    )
    assert parse_matrix(world.config("a2").find("properties")) == folder_grants(
        "jb-project-a2", [Member(True, "devs", Role.OPERATOR)]
    )
    assert parse_matrix(world.config("b1").find("properties")) == folder_grants("jb-project-b1", [])


def test_a_binding_change_rewrites_exactly_the_affected_folders(world: World) -> None:
    world.provisioner.run()
    world.desired.take_dirty(1000)

    world.grant(Scope.WORKSPACE, "ws-a", "devs", Role.VIEWER, group=True)
    result = world.poll()
    assert folder_writes(result) == ["a1", "a2"] and result.writes == 2

    world.grant(Scope.PROJECT, "b1", "bob", Role.OPERATOR)
    result = world.poll()
    assert folder_writes(result) == ["b1"] and result.writes == 2 - 1

    world.grant(Scope.PROJECT, "b1", "bob", Role.OPERATOR)  # the same role again: nothing to do
    assert world.desired.take_dirty(1000) == []

    world.bindings.revoke(scope=Scope.PROJECT, scope_name="b1", kind=SubjectKind.USER, subject="bob")
    result = world.poll()
    assert folder_writes(result) == ["b1"] and result.writes == 1
    assert "bob" not in " ".join(parse_matrix(world.config("b1").find("properties")).lines)  # type: ignore[union-attr]

    ProjectService(world.store).update("a2", workspace="ws-b")  # a2 leaves the devs' workspace
    result = world.poll()
    assert folder_writes(result) == ["a2"] and result.writes == 1
    assert parse_matrix(world.config("a2").find("properties")) == folder_grants("jb-project-a2", [])
    assert world.provisioner.run().writes == 0


def test_a_binding_change_shows_the_folder_pending_until_applied(world: World) -> None:
    world.poll()
    world.grant(Scope.WORKSPACE, "ws-b", "carol", Role.VIEWER)
    with world.store.read() as tx:
        assert tx.sync.get(Ref(Kind.PROJECT, "b1")).status is SyncStatus.PENDING  # type: ignore[union-attr]
        assert tx.sync.get(Ref(Kind.PROJECT, "a1")).status is SyncStatus.SYNCED  # type: ignore[union-attr]
    world.poll()
    with world.store.read() as tx:
        assert tx.sync.get(Ref(Kind.PROJECT, "b1")).status is SyncStatus.SYNCED  # type: ignore[union-attr]


def _post_config(world: World, path: str, root: SafeET.Element) -> None:
    import xml.etree.ElementTree as ET

    world.adapter.update_item(path, ET.tostring(root))


def test_a_matrix_edited_in_jenkins_is_repaired_by_the_deep_check(world: World) -> None:
    world.provisioner.run()
    folder = world.config("a1")
    prop = folder.find(
        "properties/com.cloudbees.hudson.plugins.folder.properties.AuthorizationMatrixProperty"
    )
    assert prop is not None
    import xml.etree.ElementTree as ET

    ET.SubElement(prop, "permission").text = "USER:hudson.model.Item.Build:mallory"
    _post_config(world, "a1", folder)  # the description (and so the marker and hash) is kept
    assert world.provisioner.run(deep=False).writes == 0  # invisible to the cheap observation
    repaired = world.provisioner.run(deep=True)
    assert [(a.ref.project, a.op, a.reason) for a in repaired.applied] == [
        ("a1", Op.UPDATE, "edited in Jenkins")
    ]
    assert parse_matrix(world.config("a1").find("properties")) == folder_grants("jb-project-a1", [])
    assert world.provisioner.run(deep=True).writes == 0


def test_a_build_identity_removed_in_jenkins_is_repaired_by_the_deep_check(world: World) -> None:
    world.provisioner.run()
    job = world.config("b1/build")
    properties = job.find("properties")
    assert properties is not None
    for prop in properties.findall("org.jenkinsci.plugins.authorizeproject.AuthorizeProjectProperty"):
        properties.remove(prop)
    _post_config(world, "b1/build", job)
    assert parse_run_as(world.config("b1/build").find("properties")) is None
    repaired = world.provisioner.run(deep=True)
    assert [(a.ref.project, a.ref.name, a.op) for a in repaired.applied] == [("b1", "build", Op.UPDATE)]
    assert parse_run_as(world.config("b1/build").find("properties")) == "jb-project-b1"


def test_an_identity_deleted_in_jenkins_is_created_again_by_the_deep_check(world: World) -> None:
    world.provisioner.run()
    with world.sandbox.state.lock:
        del world.sandbox.state.users["jb-project-a2"]
    assert world.provisioner.run(deep=False).writes == 0
    assert created_users(world.sandbox).count("jb-project-a2") == 1  # not read again in a cheap pass
    world.provisioner.run(deep=True)
    assert created_users(world.sandbox).count("jb-project-a2") == 2
    assert world.sandbox.state.user_by_id("jb-project-a2") is not None


def test_a_realm_that_cannot_create_users_says_what_to_create(
    tmp_path: Path, sandbox_jenkins_factory: SandboxFactory
) -> None:
    sandbox = sandbox_jenkins_factory(user_database=False)
    world = make_world(tmp_path, sandbox)
    result = world.provisioner.run(["b1"])
    with world.store.read() as tx:
        project = tx.sync.get(Ref(Kind.PROJECT, "b1"))
        pipeline = tx.sync.get(Ref(Kind.PIPELINE, "b1", "build"))
    assert project is not None and project.status is SyncStatus.ERROR
    assert "create the user 'jb-project-b1'" in (project.message or "")
    assert pipeline is not None and pipeline.status is SyncStatus.ERROR
    assert "jb-project-b1" in (pipeline.message or "")
    assert result.writes == 0 and sandbox.state.find_item("b1") is None  # nothing of b1 was written

    with sandbox.state.lock:  # the operator creates the user in the realm
        sandbox.state.users["jb-project-b1"] = User(id="jb-project-b1")
    result = world.provisioner.run(["b1"])
    assert not result.errors and result.writes == 2
    world.store.close()


def test_an_identity_deleted_from_a_realm_without_account_creation_is_reported_by_the_deep_check(
    tmp_path: Path, sandbox_jenkins_factory: SandboxFactory
) -> None:
    from bridge.sandbox.jenkins.server import UserSpec

    ids = [UserSpec(f"jb-project-{p}") for p in ("a1", "a2", "b1")]
    sandbox = sandbox_jenkins_factory(user_database=False, users=ids)
    world = make_world(tmp_path, sandbox)
    world.poll()
    assert world.provisioner.run().writes == 0
    with sandbox.state.lock:
        del sandbox.state.users["jb-project-a2"]
    result = world.provisioner.run(deep=True)
    assert result.writes == 0
    with world.store.read() as tx:
        a2 = tx.sync.get(Ref(Kind.PROJECT, "a2"))
        a1 = tx.sync.get(Ref(Kind.PROJECT, "a1"))
    assert a2 is not None and a2.status is SyncStatus.ERROR
    assert "create the user 'jb-project-a2'" in (a2.message or "")
    assert a1 is not None and a1.status is SyncStatus.SYNCED
    world.store.close()


def test_identity_creation_refused_by_jenkins_is_an_actionable_error(sandbox_jenkins: SandboxJenkins) -> None:
    admin = JenkinsAdapter.connect(
        sandbox_jenkins.url, user=sandbox_jenkins.admin_user, token=sandbox_jenkins.admin_token
    )
    with pytest.raises(IdentityUnavailable, match="form came back"):
        JenkinsProjectIdentities(admin).create("bad name", full_name="x")  # the realm's id rules refuse it


def test_identity_creation_without_administer_says_so(sandbox_jenkins_factory: SandboxFactory) -> None:
    from bridge.sandbox.jenkins.server import UserSpec

    sandbox = sandbox_jenkins_factory(users=[UserSpec("bot", "pw", ("11" + "ab" * 16,))])
    bot = JenkinsAdapter.connect(sandbox.url, user="bot", token="11" + "ab" * 16)
    with pytest.raises(IdentityUnavailable, match="Overall/Administer"):
        JenkinsProjectIdentities(bot).create("jb-project-x", full_name="x")


def test_the_identity_password_is_never_stored_or_logged(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    password = "IDENTITY-PASSWORD-0123456789abcdef"
    register_secret(password)
    monkeypatch.setattr(identities_module.secrets, "token_urlsafe", lambda n: password)
    with caplog.at_level(logging.DEBUG):
        assert not world.provisioner.run().errors
    assert world.sandbox.state.user_by_id("jb-project-a1").password == password  # type: ignore[union-attr]
    assert password not in caplog.text
    world.store.close()
    for path in tmp_path.iterdir():
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path
