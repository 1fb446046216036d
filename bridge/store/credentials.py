"""Credential rows: public fields in clear, all data Fernet-sealed. Decrypted values are registered
with the log redactor as they leave the store."""

from __future__ import annotations

from collections.abc import Callable
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


class CredentialRepo:
    def __init__(self, conn: Connection, clock: Clock, box: SecretBox) -> None:
        self.conn, self.clock, self.box = conn, clock, box

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

    def update(self, c: Credential) -> None:
        values = self._values(c) | {"updated_at": self.clock(), "version": credentials.c.version + 1}
        where = (credentials.c.project == c.project, credentials.c.id == c.id)
        if self.conn.execute(update(credentials).where(*where).values(**values)).rowcount != 1:
            raise NotFound(f"credential {c.id!r} does not exist in project {c.project!r}")

    def delete(self, project: str, id: str) -> bool:
        where = (credentials.c.project == project, credentials.c.id == id)
        return self.conn.execute(delete(credentials).where(*where)).rowcount == 1

    def _values(self, c: Credential) -> dict[str, object]:
        public = {k: v for k, v in c.data.items() if k in PUBLIC_CREDENTIAL_KEYS}
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
        SECRETS.add(*(v for k, v in data.items() if k not in PUBLIC_CREDENTIAL_KEYS))
        obj = Credential(
            project=row.project,
            id=row.id,
            type=CredentialType(row.type),
            data=SecretData(data),
            description=row.description,
        )
        return Stored(obj=obj, meta=meta_of(row), sync=optional_sync(row))


def _select() -> Any:
    joined = with_sync(credentials, "credential", credentials.c.project, credentials.c.id)
    return select(credentials, *sync_columns()).select_from(joined)
