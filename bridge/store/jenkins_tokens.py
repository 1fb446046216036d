"""Jenkins API tokens the bridge minted for users (``jenkins.attribution = "user-token"``), sealed at rest.

One row per (Jenkins, user): the token's uuid in Jenkins (what revoking needs) in clear, the token
itself sealed with the store's ``SecretBox`` like credential data. Created by Alembic revision
``0004_jenkins_identities``. Rows are replaced, never updated in place: a token Jenkins no longer
accepts is deleted and a new one stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Column, Connection, DateTime, Engine, LargeBinary, String, Table, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from bridge.log import SECRETS
from bridge.store.crypto import SecretBox
from bridge.store.engine import WRITE
from bridge.store.integrity import integrity_bug, is_duplicate
from bridge.store.tables import metadata

USER = 253  # longest user name the bridge accepts
TOKEN_KEY = "token"

jenkins_user_tokens = Table(
    "jenkins_user_tokens",
    metadata,
    Column("jenkins", String(63), primary_key=True),
    Column("user", String(USER), primary_key=True),
    Column("token_uuid", String(64), nullable=False),
    Column("token_sealed", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class JenkinsUserToken:
    """A user's Jenkins API token; ``token`` is a secret (not in ``repr``)."""

    user: str
    token_uuid: str
    token: str = field(repr=False)


class JenkinsTokenStore:
    """The ``jenkins_user_tokens`` table of one Jenkins (``jenkins`` names it; ``default`` for now)."""

    def __init__(
        self,
        engine: Engine,
        box: SecretBox,
        *,
        jenkins: str = "default",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._engine, self._box, self._jenkins, self._clock = engine, box, jenkins, clock

    def get(self, user: str) -> JenkinsUserToken | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(jenkins_user_tokens).where(*self._key(user))).first()
        if row is None:
            return None
        token = self._box.open(row.token_sealed)[TOKEN_KEY]
        SECRETS.add(token)  # like credential values: redacted from any log line it might reach
        return JenkinsUserToken(user=row.user, token_uuid=row.token_uuid, token=token)

    def add(self, user: str, token_uuid: str, token: str) -> bool:
        """Store a token; ``False`` (nothing written) when the user already has one (a concurrent mint)."""
        SECRETS.add(token)
        values = {
            "jenkins": self._jenkins,
            "user": user,
            "token_uuid": token_uuid,
            "token_sealed": self._box.seal({TOKEN_KEY: token}),
            "created_at": self._clock(),
        }
        try:
            with self._writing() as conn, conn.begin():
                conn.execute(jenkins_user_tokens.insert().values(**values))
        except IntegrityError as e:
            if not is_duplicate(e):
                raise integrity_bug(e) from e
            return False
        return True

    def remove(self, user: str, token_uuid: str | None = None) -> bool:
        """Forget the user's token (only if it is still ``token_uuid``, when given); ``True`` if removed."""
        where = list(self._key(user))
        if token_uuid is not None:
            where.append(jenkins_user_tokens.c.token_uuid == token_uuid)
        with self._writing() as conn, conn.begin():
            removed = conn.execute(delete(jenkins_user_tokens).where(*where)).rowcount
        return bool(removed)

    def users(self) -> list[str]:
        with self._engine.connect() as conn:
            query = select(jenkins_user_tokens.c.user).where(jenkins_user_tokens.c.jenkins == self._jenkins)
            return sorted(r.user for r in conn.execute(query))

    def _key(self, user: str) -> tuple[ColumnElement[bool], ...]:
        return (jenkins_user_tokens.c.jenkins == self._jenkins, jenkins_user_tokens.c.user == user)

    def _writing(self) -> Connection:
        return self._engine.connect().execution_options(**{WRITE: True})
