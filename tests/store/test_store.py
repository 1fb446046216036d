"""Repositories, encryption at rest, the dirty-key queue and the reconciler's port, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

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
    SyncState,
    SyncStatus,
    Workspace,
)
from bridge.errors import ConfigurationError, Conflict, PreconditionFailed
from bridge.reconcile.ports import Kind, Ref
from bridge.services.credentials import CredentialService
from bridge.services.pipelines import PipelineService
from bridge.services.projects import ProjectService
from bridge.services.workspaces import WorkspaceService
from bridge.store import Store, StoreDesiredState
from bridge.store.crypto import SecretBox
from bridge.store.tables import credentials

HOSTILE = "]]></script>&<x a='\"'>ünïcødé 🚀"
PASSWORD = "s3cr3t-Pa55word-that-must-not-leak"


def seed(store: Store) -> None:
    WorkspaceService(store).create(Workspace(name="ws", description=HOSTILE, clusters=("host",)))
    ProjectService(store).create(Project(name="demo", workspace="ws", cluster="host", description=HOSTILE))
    CredentialService(store).create(
        Credential(
            project="demo",
            id="git",
            type=CredentialType.BASIC_AUTH,
            data=SecretData(username="bot", password=PASSWORD),
            description=HOSTILE,
        )
    )


def full_pipeline() -> Pipeline:
    return Pipeline(
        project="demo",
        name="build",
        description=HOSTILE,
        scm=ScmSource(
            url="https://git.example/r.git", branch="dev", credential="git", script_path="ci/Jenkinsfile"
        ),
        parameters=(
            Parameter(name="ENV", type=ParameterType.CHOICE, default="prod", choices=("dev", "prod")),
            Parameter(name="DRY", type=ParameterType.BOOLEAN, default=True),
            Parameter(name="NOTE", type=ParameterType.TEXT, default=HOSTILE, description=HOSTILE),
        ),
        discarder=Discarder(days=7, builds=20),
        concurrent=False,
        cron="H/15 * * * *\n# nightly\n@midnight",
    )


def test_objects_round_trip_verbatim(store: Store) -> None:
    seed(store)
    created = PipelineService(store).create(full_pipeline())
    assert created.obj == full_pipeline()
    assert created.meta.version == 1 and created.meta.created_at.tzinfo is not None
    desired = StoreDesiredState(store)
    assert desired.projects() == [Project(name="demo", workspace="ws", cluster="host", description=HOSTILE)]
    assert desired.pipelines("demo") == [full_pipeline()]
    [cred] = desired.credentials("demo")
    assert cred.data == {"username": "bot", "password": PASSWORD}
    assert cred.description == HOSTILE


def test_credential_data_is_encrypted_at_rest(store: Store) -> None:
    seed(store)
    with store.engine.connect() as conn:
        row = conn.execute(select(credentials)).one()
    assert PASSWORD.encode() not in bytes(row.sealed)
    assert row.public == {"username": "bot", "#secret_keys": ["password"]}  # key names, not values


def test_wrong_key_is_a_clear_configuration_error(store: Store) -> None:
    seed(store)
    other = Store(store.engine, SecretBox(Fernet.generate_key().decode()))
    with pytest.raises(ConfigurationError, match="cannot be decrypted"):
        StoreDesiredState(other).credentials("demo")


def test_update_without_secret_keeps_secret_and_bumps_version(store: Store) -> None:
    seed(store)
    updated = CredentialService(store).update("demo", "git", description="new", data={"username": "bot2"})
    assert updated.obj.public == {"username": "bot2"} and updated.obj.secret_keys == ("password",)
    assert CredentialService(store).current("demo", "git").data == {"username": "bot2", "password": PASSWORD}
    assert updated.meta.version == 2
    with pytest.raises(PreconditionFailed, match="stale"):
        CredentialService(store).update("demo", "git", description="x", expected_version=1)


def test_writes_enqueue_merged_dirty_keys_taken_once(store: Store) -> None:
    seed(store)
    projects = ProjectService(store)
    projects.update("demo", description="one")
    projects.update("demo", description="two")
    desired = StoreDesiredState(store)
    taken = desired.take_dirty()
    assert sorted(taken) == [Ref(Kind.CREDENTIAL, "demo", "git"), Ref(Kind.PROJECT, "demo")]
    assert desired.take_dirty() == []
    projects.update("demo", description="three")
    assert desired.take_dirty(limit=10) == [Ref(Kind.PROJECT, "demo")]


def test_take_dirty_respects_limit_and_order(store: Store) -> None:
    seed(store)
    PipelineService(store).create(full_pipeline())
    desired = StoreDesiredState(store)
    first = desired.take_dirty(limit=2)
    rest = desired.take_dirty(limit=10)
    assert len(first) == 2 and len(rest) == 1
    assert first[0] == Ref(Kind.PROJECT, "demo")
    assert set(first).isdisjoint(rest)


def test_sync_state_recorded_and_not_hiding_newer_writes(store: Store) -> None:
    seed(store)
    desired = StoreDesiredState(store)
    key = Ref(Kind.PROJECT, "demo")
    assert ProjectService(store).get("demo").sync == SyncState()
    when = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    desired.record_sync(key, SyncState(SyncStatus.SYNCED, synced_at=when))
    assert ProjectService(store).get("demo").sync.status is SyncStatus.PENDING  # key still queued
    desired.take_dirty()
    desired.record_sync(key, SyncState(SyncStatus.SYNCED, synced_at=when))
    assert ProjectService(store).get("demo").sync == SyncState(SyncStatus.SYNCED, synced_at=when)
    desired.record_sync(key, SyncState(SyncStatus.ERROR, message="folder exists and is not ours"))
    assert ProjectService(store).get("demo").sync.message == "folder exists and is not ours"
    desired.record_sync(Ref(Kind.PIPELINE, "demo", "gone"), SyncState(SyncStatus.SYNCED))
    with store.read() as tx:
        assert tx.sync.get(Ref(Kind.PIPELINE, "demo", "gone")) is None


def test_project_delete_cascades_and_leaves_one_tombstone(store: Store) -> None:
    seed(store)
    PipelineService(store).create(full_pipeline())
    PipelineService(store).delete("demo", "build")
    desired = StoreDesiredState(store)
    assert [t.key for t in desired.tombstones()] == [Ref(Kind.PIPELINE, "demo", "build")]
    ProjectService(store).delete("demo")
    assert [t.key for t in desired.tombstones()] == [Ref(Kind.PROJECT, "demo")]
    assert desired.credentials("demo") == [] and desired.pipelines("demo") == []
    assert desired.take_dirty() == [Ref(Kind.PROJECT, "demo")]
    with store.read() as tx:
        assert tx.sync.counts() == {}
    [tomb] = desired.tombstones()
    desired.forget_tombstone(tomb)
    assert desired.tombstones() == []


def test_workspace_with_projects_cannot_be_deleted(store: Store) -> None:
    seed(store)
    with pytest.raises(Conflict, match="still holds 1 project"):
        WorkspaceService(store).delete("ws")
    ProjectService(store).delete("demo")
    WorkspaceService(store).delete("ws")
    assert WorkspaceService(store).list() == []


def test_duplicates_conflict(store: Store) -> None:
    seed(store)
    with pytest.raises(Conflict):
        ProjectService(store).create(Project(name="demo", workspace="ws"))
    with pytest.raises(Conflict):
        CredentialService(store).create(
            Credential(project="demo", id="git", type=CredentialType.SECRET_TEXT, data=SecretData(secret="x"))
        )
