"""Credential rows: public fields in clear, all data Fernet-sealed.

Two kinds of reads. ``info``/``infos``/``ids`` are metadata only (type, description, public fields,
the names of the secret keys that hold a value, meta, sync) and never decrypt: that is all the API
and pipeline validation need. ``get``/``list`` decrypt, for the callers that need values (the
reconciler's desired state, merging an update); their values are registered with the log redactor
under the credential's key, replacing earlier values, and forgotten when the credential is deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from bridge.domain.model import PUBLIC_CREDENTIAL_KEYS, Credential, CredentialType, SecretData
from bridge.errors import NotFound
from bridge.log import SECRETS
from bridge.store.crypto import SecretBox
from bridge.store.records import Stored, meta_of, optional_sync, sync_columns, with_sync
from bridge.store.tables import credentials

Clock = Callable[[], datetime]
#: Entry of the ``public`` JSON column listing the secret keys that hold a value (names only).
SECRET_KEYS_ENTRY = "#secret_keys"


@dataclass(frozen=True)
class CredentialInfo:
    """What can be shown about a credential without decrypting it."""

    project: str
    id: str
    type: CredentialType
    description: str
    public: Mapping[str, str] = field(default_factory=dict)
    secret_keys: tuple[str, ...] = ()


class CredentialRepo:
    def __init__(self, conn: Connection, clock: Clock, box: SecretBox) -> None:
        self.conn, self.clock, self.box = conn, clock, box

    def info(self, project: str, id: str) -> Stored[CredentialInfo] | None:
        query = _select().where(credentials.c.project == project, credentials.c.id == id)
        row = self.conn.execute(query).first()
        return None if row is None else self._info(row)

    def infos(
        self, project: str, *, after: str | None = None, limit: int | None = None
    ) -> list[Stored[CredentialInfo]]:
        """By id; a page of ``limit`` after the id ``after`` when given."""
        query = _select().where(credentials.c.project == project).order_by(credentials.c.id).limit(limit)
        if after is not None:
            query = query.where(credentials.c.id > after)
        return [self._info(r) for r in self.conn.execute(query)]

    def ids(self, project: str) -> set[str]:
        query = select(credentials.c.id).where(credentials.c.project == project)
        return set(self.conn.execute(query).scalars())

    def get(self, project: str, id: str) -> Stored[Credential] | None:
        query = _select().where(credentials.c.project == project, credentials.c.id == id)
        row = self.conn.execute(query).first()
        return None if row is None else self._credential(row)

    def list(self, project: str) -> list[Stored[Credential]]:
        query = _select().where(credentials.c.project == project).order_by(credentials.c.id)
        return [self._credential(r) for r in self.conn.execute(query)]

    def insert(self, c: Credential) -> None:
        now = self.clock()
        values = self._values(c) | {"created_at": now, "updated_at": now, "version": 1}
        self.conn.execute(insert(credentials).values(**values))
        _register(c)

    def update(self, c: Credential) -> None:
        values = self._values(c) | {"updated_at": self.clock(), "version": credentials.c.version + 1}
        where = (credentials.c.project == c.project, credentials.c.id == c.id)
        if self.conn.execute(update(credentials).where(*where).values(**values)).rowcount != 1:
            raise NotFound(f"credential {c.id!r} does not exist in project {c.project!r}")
        _register(c)  # the old values are no longer secrets of this credential

    def delete(self, project: str, id: str) -> bool:
        where = (credentials.c.project == project, credentials.c.id == id)
        deleted = self.conn.execute(delete(credentials).where(*where)).rowcount == 1
        SECRETS.discard(_owner(project, id))
        return deleted

    def _values(self, c: Credential) -> dict[str, object]:
        public: dict[str, object] = {k: v for k, v in c.data.items() if k in PUBLIC_CREDENTIAL_KEYS}
        public[SECRET_KEYS_ENTRY] = sorted(
            k for k, v in c.data.items() if k not in PUBLIC_CREDENTIAL_KEYS and v
        )
        return {
            "project": c.project,
            "id": c.id,
            "type": c.type.value,
            "description": c.description,
            "public": public,
            "sealed": self.box.seal(dict(c.data)),
        }

    def _credential(self, row: Any) -> Stored[Credential]:
        data = self.box.open(row.sealed)
        SECRETS.replace(
            _owner(row.project, row.id), (v for k, v in data.items() if k not in PUBLIC_CREDENTIAL_KEYS)
        )
        obj = Credential(
            project=row.project,
            id=row.id,
            type=CredentialType(row.type),
            data=SecretData(data),
            description=row.description,
        )
        return Stored(obj=obj, meta=meta_of(row), sync=optional_sync(row))

    def _info(self, row: Any) -> Stored[CredentialInfo]:
        public = dict(row.public)
        names = public.pop(SECRET_KEYS_ENTRY, None)
        if names is None:  # a row written before the names were recorded: read them, values unused
            sealed = self.box.open(row.sealed)
            names = _secret_keys(sealed)
        obj = CredentialInfo(
            project=row.project,
            id=row.id,
            type=CredentialType(row.type),
            description=row.description,
            public=public,
            secret_keys=tuple(names),
        )
        return Stored(obj=obj, meta=meta_of(row), sync=optional_sync(row))


def _secret_keys(data: Mapping[str, str]) -> list[str]:
    return sorted(k for k, v in data.items() if k not in PUBLIC_CREDENTIAL_KEYS and v)


def _owner(project: str, id: str) -> tuple[str, str, str]:
    return ("credential", project, id)


def _register(c: Credential) -> None:
    SECRETS.replace(
        _owner(c.project, c.id), (v for k, v in c.data.items() if k not in PUBLIC_CREDENTIAL_KEYS)
    )


def _select() -> Any:
    joined = with_sync(credentials, "credential", credentials.c.project, credentials.c.id)
    return select(credentials, *sync_columns()).select_from(joined)
