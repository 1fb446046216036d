"""A migrated store on SQLite and PostgreSQL, its URL, and audit entries to append."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bridge.audit.log import AuditEntry, Outcome
from bridge.store import migrate
from bridge.store.engine import make_engine

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def entry(n: int, *, at: datetime | None = None, **kw: object) -> AuditEntry:
    base: dict[str, object] = dict(
        at=at or T0 + timedelta(minutes=n),
        actor="alice",
        actor_source="api-token",
        address="10.0.0.1",
        method="POST",
        path=f"/api/v1/projects/p-{n}",
        action="project.create",
        outcome=Outcome.SUCCESS,
        status=201,
        request_id=f"r-{n}",
        project=f"p-{n}",
    )
    base.update(kw)
    return AuditEntry(**base)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    made = make_engine(database_url)
    migrate.upgrade(made)
    yield made
    made.dispose()


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    import os

    for name in list(os.environ):
        if name.startswith("BRIDGE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BRIDGE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BRIDGE_SECRET_KEY", "x" * 43 + "=")
    monkeypatch.setenv("BRIDGE_DATABASE_URL", database_url)
    return database_url
