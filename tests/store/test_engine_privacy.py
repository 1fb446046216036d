"""The engine keeps data out of error messages and the SQLite files private (mode 0600)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bridge.store import migrate
from bridge.store.engine import make_engine

SECRET = "gAAAAABsecret-parameter-value-0042"


@pytest.fixture
def loose_umask() -> Iterator[None]:
    before = os.umask(0o022)  # what most systems default to: files 0644, directories 0755
    try:
        yield
    finally:
        os.umask(before)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("loose_umask")
def test_a_new_sqlite_database_and_its_wal_files_are_0600(tmp_path: Path) -> None:
    db = tmp_path / "data" / "bridge.db"
    engine = make_engine(f"sqlite:///{db}")
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:  # hold a connection: the -wal and -shm files exist while it is open
            conn.exec_driver_sql("SELECT 1")
            files = [db, db.with_name("bridge.db-wal"), db.with_name("bridge.db-shm")]
            assert all(f.exists() for f in files), [f.name for f in files if not f.exists()]
            assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}
        assert _mode(db.parent) == 0o700
    finally:
        engine.dispose()


@pytest.mark.usefixtures("loose_umask")
def test_existing_files_are_tightened(tmp_path: Path) -> None:
    db = tmp_path / "bridge.db"
    first = make_engine(f"sqlite:///{db}")
    migrate.upgrade(first)
    first.dispose()
    for f in (db, db.with_name("bridge.db-wal")):
        f.touch()
        f.chmod(0o644)
    engine = make_engine(f"sqlite:///{db}")
    engine.dispose()
    assert _mode(db) == 0o600 and _mode(db.with_name("bridge.db-wal")) == 0o600


def test_statement_parameters_never_appear_in_errors(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with pytest.raises(DBAPIError) as caught, engine.connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table WHERE value = :value"), {"value": SECRET})
        assert SECRET not in str(caught.value) and "no_such_table" in str(caught.value)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_statement_parameters_never_appear_in_postgres_errors(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        with pytest.raises(DBAPIError) as caught, engine.connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table WHERE value = :value"), {"value": SECRET})
        assert SECRET not in str(caught.value)
    finally:
        engine.dispose()
