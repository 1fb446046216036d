"""API tokens in the store: create, list, revoke, verify.

The token itself exists only in the ``IssuedToken`` returned by ``create`` (shown once by the CLI);
the table holds its SHA-256. ``verify`` finds a row by that hash, re-compares in constant time, and
refuses revoked and expired tokens. ``last_used_at`` is written at most once per ``touch_interval`` so
authenticated reads do not each cost a database write.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update

from bridge.errors import NotFound
from bridge.identity.names import check_groups, check_subject
from bridge.identity.tables import api_tokens, writing
from bridge.identity.tokens import TOKEN_PREFIX, looks_like_token, new_token, same_secret, token_hash
from bridge.store.engine import write_transaction
from bridge.store.records import utc as as_utc

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TokenInfo:
    """Everything about a token except the token."""

    id: str
    user: str
    groups: frozenset[str]
    hint: str
    description: str
    created_at: datetime
    created_by: str
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


@dataclass(frozen=True)
class IssuedToken:
    info: TokenInfo
    token: str = field(repr=False)


def _info(row: Any) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        user=row.user,
        groups=frozenset(row.groups or ()),
        hint=row.hint,
        description=row.description,
        created_at=as_utc(row.created_at) or utcnow(),
        created_by=row.created_by,
        expires_at=as_utc(row.expires_at),
        revoked_at=as_utc(row.revoked_at),
        last_used_at=as_utc(row.last_used_at),
    )


class TokenStore:
    def __init__(
        self, engine: Engine, *, clock: Clock = utcnow, touch_interval: timedelta = timedelta(minutes=1)
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._touch_interval = touch_interval

    def create(
        self,
        *,
        user: str,
        groups: frozenset[str] | tuple[str, ...] = frozenset(),
        expires_in: timedelta | None = None,
        description: str = "",
        created_by: str,
        token_id: str | None = None,
    ) -> IssuedToken:
        """Mint a token (``token_id``: chosen by the caller, e.g. to name it in the audit entry that
        commits with it; by default a random one)."""
        check_subject(user)
        group_set = check_groups(tuple(groups))
        token = new_token()
        now = self._clock()
        info = TokenInfo(
            id=token_id or uuid.uuid4().hex,
            user=user,
            groups=group_set,
            hint=token[: len(TOKEN_PREFIX) + 4],
            description=description[:256],
            created_at=now,
            created_by=created_by,
            expires_at=now + expires_in if expires_in else None,
        )
        with write_transaction(self._engine) as conn:
            conn.execute(
                api_tokens.insert().values(
                    id=info.id,
                    token_hash=token_hash(token),
                    hint=info.hint,
                    user=info.user,
                    groups=sorted(info.groups),
                    description=info.description,
                    created_at=info.created_at,
                    created_by=info.created_by,
                    expires_at=info.expires_at,
                )
            )
        return IssuedToken(info=info, token=token)

    def list(self, *, user: str | None = None, include_inactive: bool = False) -> list[TokenInfo]:
        query = select(api_tokens).order_by(api_tokens.c.created_at, api_tokens.c.id)
        if user is not None:
            query = query.where(api_tokens.c.user == user)
        with self._engine.connect() as conn:
            infos = [_info(row) for row in conn.execute(query)]
        now = self._clock()
        return [i for i in infos if include_inactive or i.state(now) == "active"]

    def get(self, token_id: str) -> TokenInfo:
        with self._engine.connect() as conn:
            row = conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).first()
        if row is None:
            raise NotFound(f"no token with id {token_id!r}")
        return _info(row)

    def revoke(self, token_id: str) -> TokenInfo:
        """Revoke a token (idempotent: revoking twice keeps the first time)."""
        with write_transaction(self._engine) as conn:
            if conn.execute(select(api_tokens.c.id).where(api_tokens.c.id == token_id)).first() is None:
                raise NotFound(f"no token with id {token_id!r}")
            conn.execute(
                update(api_tokens)
                .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=self._clock())
            )
        return self.get(token_id)

    def verify(self, token: str) -> TokenInfo | None:
        """The token's info when it is known, not revoked and not expired; otherwise None."""
        if not looks_like_token(token):
            return None
        digest = token_hash(token)
        with self._engine.connect() as conn:
            row = conn.execute(select(api_tokens).where(api_tokens.c.token_hash == digest)).first()
        if row is None or not same_secret(row.token_hash, digest):
            return None
        info = _info(row)
        now = self._clock()
        if info.state(now) != "active":
            return None
        if info.last_used_at is None or now - info.last_used_at >= self._touch_interval:
            with writing(self._engine) as conn, conn.begin():
                conn.execute(update(api_tokens).where(api_tokens.c.id == info.id).values(last_used_at=now))
        return info
