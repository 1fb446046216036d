"""Credential metadata reads never decrypt; decrypted values are redacted, and forgotten when replaced."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from bridge.domain.model import (
    Credential,
    CredentialType,
    Pipeline,
    Project,
    ScmSource,
    SecretData,
    Workspace,
)
from bridge.log import SECRETS
from bridge.services.credentials import CredentialService
from bridge.services.pipelines import PipelineService
from bridge.services.projects import ProjectService
from bridge.services.workspaces import WorkspaceService
from bridge.store import Store, StoreDesiredState
from tests.fixtures.leaks import register_secret


class CountingBox:
    """Wraps the store's SecretBox and counts how often sealed data is opened."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.opened = inner, 0

    def seal(self, data: dict[str, str]) -> bytes:
        return bytes(self.inner.seal(data))

    def open(self, token: bytes) -> dict[str, str]:
        self.opened += 1
        return dict(self.inner.open(token))

    def __getattr__(self, name: str) -> Any:  # other secret material (parameter defaults)
        return getattr(self.inner, name)


@pytest.fixture
def counted(store: Store) -> tuple[Store, CountingBox, str]:
    box = CountingBox(store.box)
    store.box = box  # type: ignore[assignment]
    WorkspaceService(store).create(Workspace(name="ws", clusters=("host",)))
    ProjectService(store).create(Project(name="demo", workspace="ws", cluster="host"))
    password = "pw-a1b2" + secrets.token_urlsafe(16)  # a letter-digit run: always secret-like
    register_secret(password)
    CredentialService(store).create(
        Credential(
            project="demo",
            id="git",
            type=CredentialType.BASIC_AUTH,
            data=SecretData(username="bot", password=password),
        )
    )
    CredentialService(store).create(
        Credential(
            project="demo", id="key", type=CredentialType.SECRET_TEXT, data=SecretData(secret=password + "x")
        )
    )
    return store, box, password


def test_metadata_reads_do_not_decrypt_or_register(counted: tuple[Store, CountingBox, str]) -> None:
    store, box, password = counted
    before = set(SECRETS._values)
    svc = CredentialService(store)
    listed = svc.list("demo")
    assert [(c.obj.id, dict(c.obj.public), c.obj.secret_keys) for c in listed] == [
        ("git", {"username": "bot"}, ("password",)),
        ("key", {}, ("secret",)),
    ]
    assert svc.get("demo", "git").obj.secret_keys == ("password",)
    pipelines = PipelineService(store)
    scm = ScmSource(url="https://git.example/demo.git", credential="git")
    pipelines.create(Pipeline(project="demo", name="build", scm=scm))
    pipelines.update("demo", "build", description="checks credential ids again")
    svc.delete("demo", "key")
    assert box.opened == 0
    # nothing new registered; the deleted credential's value is no longer redacted
    assert set(SECRETS._values) == before - {password + "x"}
    svc.update("demo", "git", description="renamed")  # merging needs the values: one decryption
    assert box.opened == 1


def test_desired_state_decrypts_and_registers_current_values_only(
    counted: tuple[Store, CountingBox, str],
) -> None:
    store, box, password = counted
    desired = StoreDesiredState(store)
    values = {c.id: dict(c.data) for c in desired.credentials("demo")}
    assert values["git"]["password"] == password and box.opened == 2
    assert SECRETS.redact(f"Jenkins said: bad {password} here") == "Jenkins said: bad *** here"
    assert SECRETS.redact(f"{password}x") == "***"  # the longer secret-text value is replaced whole

    new = "pw-c3d4" + secrets.token_urlsafe(16)
    register_secret(new)
    CredentialService(store).update("demo", "git", data={"password": new})
    desired.credentials("demo")
    assert new in SECRETS._values and password not in SECRETS._values  # replaced, not accumulated
    CredentialService(store).delete("demo", "git")
    CredentialService(store).delete("demo", "key")
    assert new not in SECRETS._values and password + "x" not in SECRETS._values
