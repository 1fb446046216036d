"""Credential bodies and responses. ``data`` values are write-only: responses show only the public
keys (``username``, ``filename``) and the names of the secret keys that are set."""

from __future__ import annotations

from pydantic import Field

from bridge.api.schemas.common import Input, MetaOut, Name, PageOut, SyncOut, meta_fields
from bridge.domain.model import Credential, CredentialType, SecretData
from bridge.store import Stored
from bridge.store.credentials import CredentialInfo

DATA_DOC = (
    "basic-auth: username, password; secret-text: secret; ssh-auth: username, private_key, passphrase; "
    "kubeconfig: content; secret-file: filename, content"
)
CredentialDescription = Field(default="", max_length=1024)


class CredentialIn(Input):
    id: str = Name
    type: CredentialType
    description: str = CredentialDescription
    data: dict[str, str] = Field(description=DATA_DOC)

    def to_domain(self, project: str) -> Credential:
        return Credential(
            project=project,
            id=self.id,
            type=self.type,
            data=SecretData(self.data),
            description=self.description,
        )


class CredentialPut(Input):
    """Full update; data keys left out keep their stored values (unless the type changes)."""

    type: CredentialType
    description: str = CredentialDescription
    data: dict[str, str] = Field(default_factory=dict, description=DATA_DOC)


class CredentialPatch(Input):
    description: str = CredentialDescription
    data: dict[str, str] = Field(default_factory=dict, description=DATA_DOC)


class CredentialOut(MetaOut):
    project: str
    id: str
    type: CredentialType
    description: str
    data: dict[str, str] = Field(description="Public data keys only (username, filename)")
    secret_keys: list[str] = Field(
        description="Secret data keys that hold a value (values are never returned)"
    )
    sync: SyncOut

    @classmethod
    def of(cls, s: Stored[CredentialInfo]) -> CredentialOut:
        c = s.obj
        return cls(
            project=c.project,
            id=c.id,
            type=c.type,
            description=c.description,
            data=dict(c.public),
            secret_keys=list(c.secret_keys),
            sync=SyncOut.of(s.sync),
            **meta_fields(s),  # type: ignore[arg-type]
        )


class CredentialList(PageOut):
    items: list[CredentialOut] = Field(description="Ordered by id")
