"""Every store test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bridge.store import Store
from bridge.store.crypto import SecretBox
from bridge.store.engine import make_engine


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bridge.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def secret_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def store(database_url: str, secret_key: str) -> Iterator[Store]:
    s = Store(make_engine(database_url), SecretBox(secret_key))
    s.migrate()
    yield s
    s.close()
