"""The store's Jenkins user tokens (SQLite and PostgreSQL) and the single migration head."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from cryptography.fernet import Fernet
from sqlalchemy import select

from bridge.errors import ConfigurationError
from bridge.log import REDACTED, RedactingFilter
from bridge.store import migrate
from bridge.store.crypto import SecretBox
from bridge.store.engine import make_engine
from bridge.store.jenkins_tokens import JenkinsTokenStore, jenkins_user_tokens


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    url = (
        f"sqlite:///{tmp_path / 'b.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    e = make_engine(str(url))
    migrate.upgrade(e)
    yield e
    e.dispose()


def test_add_get_remove_and_one_token_per_user(engine) -> None:  # type: ignore[no-untyped-def]
    key = Fernet.generate_key().decode()
    store = JenkinsTokenStore(engine, SecretBox(key))
    other_jenkins = JenkinsTokenStore(engine, SecretBox(key), jenkins="staging")
    assert store.get("alice") is None
    assert store.add("alice", "uuid-1", "11aaaa") is True
    assert store.add("alice", "uuid-2", "11bbbb") is False  # a concurrent mint lost: first one kept
    assert other_jenkins.add("alice", "uuid-9", "11cccc") is True
    got = store.get("alice")
    assert got is not None and (got.token_uuid, got.token) == ("uuid-1", "11aaaa")
    assert "11aaaa" not in repr(got)
    assert store.users() == ["alice"]

    assert store.remove("alice", "uuid-other") is False  # someone else already replaced it
    assert store.remove("alice", "uuid-1") is True
    assert store.get("alice") is None
    assert other_jenkins.get("alice") is not None

    store.add("bob", "uuid-3", "11dddd")
    with engine.connect() as conn:
        sealed = conn.execute(
            select(jenkins_user_tokens.c.token_sealed).where(jenkins_user_tokens.c.user == "bob")
        )
        assert b"11dddd" not in bytes(sealed.scalar_one())
    with pytest.raises(ConfigurationError):  # another key cannot open it
        JenkinsTokenStore(engine, SecretBox(Fernet.generate_key().decode())).get("bob")


def test_migrations_have_one_head_ending_with_ours() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    heads = script.get_heads()
    assert len(heads) == 1, heads
    revision = script.get_revision("0004_jenkins_identities")
    assert revision is not None and revision.down_revision is not None


def test_tokens_are_redacted_from_logs_once_handled(engine) -> None:  # type: ignore[no-untyped-def]
    """Minted Jenkins tokens are secrets like credential values: the log filter knows them as soon as
    this process mints one, or reads one another process stored."""
    box = SecretBox(Fernet.generate_key().decode())
    minted, elsewhere = "11" + "m" * 32, "11" + "e" * 32
    JenkinsTokenStore(engine, box).add("alice", "uuid-1", minted)
    with engine.begin() as conn:  # written by another bridge process
        conn.execute(
            jenkins_user_tokens.insert().values(
                jenkins="default",
                user="bob",
                token_uuid="uuid-2",
                token_sealed=box.seal({"token": elsewhere}),
                created_at=datetime.now(UTC),
            )
        )
    assert JenkinsTokenStore(engine, box).get("bob") is not None
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "sent %s and %s", (minted, elsewhere), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == f"sent {REDACTED} and {REDACTED}"
