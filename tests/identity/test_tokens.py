"""API tokens: format, hashing, store lifecycle (expiry, revocation, last use)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from bridge.errors import InvalidRequest, NotFound
from bridge.identity.tables import api_tokens
from bridge.identity.token_store import TokenStore
from bridge.identity.tokens import looks_like_token, new_token, parse_duration, same_secret, token_hash


def test_new_tokens_are_prefixed_random_and_recognised() -> None:
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50
    assert all(t.startswith("jbt_") and looks_like_token(t) for t in tokens)
    assert not looks_like_token("eyJhbGciOiJSUzI1NiJ9.payload.sig")
    assert not looks_like_token("jbt_short")


def test_same_secret_compares_values() -> None:
    assert same_secret("a" * 20, "a" * 20)
    assert not same_secret("a" * 20, "a" * 19 + "b")
    assert not same_secret("a", "a" * 40)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", timedelta(days=30)),
        ("12h", timedelta(hours=12)),
        ("2w", timedelta(weeks=2)),
        ("90m", timedelta(minutes=90)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "30", "0d", "-1d", "1y", "d", "1.5h"])
def test_parse_duration_refuses_garbage(text: str) -> None:
    with pytest.raises(InvalidRequest):
        parse_duration(text)


def test_only_the_hash_is_stored(engine, clock) -> None:
    store = TokenStore(engine, clock=clock)
    issued = store.create(user="alice", groups=("team-a",), created_by="test")
    assert issued.token not in repr(issued)
    with engine.connect() as conn:
        row = conn.execute(select(api_tokens)).one()
        dump = " ".join(str(v) for v in row)
        everything = " ".join(str(r) for r in conn.execute(text("SELECT * FROM api_tokens")))
    assert row.token_hash == token_hash(issued.token)
    assert issued.token not in dump and issued.token not in everything
    assert row.hint == issued.token[:8]


def test_verify_accepts_active_and_records_last_use(engine, clock) -> None:
    store = TokenStore(engine, clock=clock, touch_interval=timedelta(minutes=1))
    issued = store.create(user="alice", groups=("team-a", "team-b"), created_by="test")
    info = store.verify(issued.token)
    assert info is not None
    assert (info.user, info.groups) == ("alice", frozenset({"team-a", "team-b"}))
    assert store.get(issued.info.id).last_used_at == clock.now
    clock.advance(seconds=30)
    store.verify(issued.token)
    assert store.get(issued.info.id).last_used_at == clock.now - timedelta(seconds=30)  # throttled
    clock.advance(seconds=31)
    store.verify(issued.token)
    assert store.get(issued.info.id).last_used_at == clock.now


def test_expired_and_revoked_tokens_are_refused(engine, clock) -> None:
    store = TokenStore(engine, clock=clock)
    short = store.create(user="bob", expires_in=timedelta(hours=1), created_by="test")
    kept = store.create(user="carol", created_by="test")
    assert store.verify(short.token) is not None
    clock.advance(hours=1)
    assert store.verify(short.token) is None
    assert store.verify(kept.token) is not None
    revoked = store.revoke(kept.info.id)
    assert revoked.revoked_at == clock.now
    assert store.verify(kept.token) is None
    clock.advance(minutes=5)
    assert store.revoke(kept.info.id).revoked_at == revoked.revoked_at  # idempotent, first time kept
    assert [t.user for t in store.list()] == []
    assert {t.user: t.state(clock.now) for t in store.list(include_inactive=True)} == {
        "bob": "expired",
        "carol": "revoked",
    }


def test_unknown_and_foreign_tokens_are_refused(engine, clock) -> None:
    store = TokenStore(engine, clock=clock)
    store.create(user="alice", created_by="test")
    assert store.verify(new_token()) is None
    assert store.verify("not-a-token") is None


def test_revoke_unknown_is_not_found(engine) -> None:
    with pytest.raises(NotFound):
        TokenStore(engine).revoke("nope")


@pytest.mark.parametrize("user", ["", " alice", "al\nice", "x" * 300, "-dash"])
def test_invalid_user_names_are_refused(engine, user: str) -> None:
    with pytest.raises(InvalidRequest):
        TokenStore(engine).create(user=user, created_by="test")
