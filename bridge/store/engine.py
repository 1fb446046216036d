"""Engine construction: SQLite (WAL, foreign keys, immediate write transactions) or PostgreSQL.

SQLite is shared by two processes (``serve`` and ``worker``). Python's sqlite3 driver starts its own
deferred transactions, which upgrade to write locks late and then fail with "database is locked"
without waiting; so the driver's handling is switched off and transactions begin explicitly —
``BEGIN IMMEDIATE`` for writes (which wait up to ``busy_timeout``), plain ``BEGIN`` for reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bridge.errors import ConfigurationError

#: Execution option marking a connection whose transaction will write.
WRITE = "bridge_write"
BUSY_TIMEOUT_MS = 30_000


class CommitObserver(Protocol):
    """Joins the write transactions opened in its context (``write_transaction``)."""

    def before_commit(self, conn: Connection) -> None:
        """Last statements of the transaction, on its connection (the audit row of the change)."""

    def after_commit(self) -> None:
        """The transaction committed."""


#: The observer of write transactions opened in this context: the audit recorder of the API request or
#: CLI command making the change, so its audit row commits, or rolls back, with the change.
COMMIT_OBSERVER: ContextVar[CommitObserver | None] = ContextVar("bridge_commit_observer", default=None)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A write transaction (immediate on SQLite) that the context's ``CommitObserver`` joins."""
    observer = COMMIT_OBSERVER.get()
    with engine.connect().execution_options(**{WRITE: True}) as conn:
        with conn.begin():
            yield conn
            if observer is not None:
                observer.before_commit(conn)
        if observer is not None:
            observer.after_commit()


@contextmanager
def observing(observer: CommitObserver) -> Iterator[None]:
    """Make ``observer`` join every ``write_transaction`` opened inside this block (this thread)."""
    token = COMMIT_OBSERVER.set(observer)
    try:
        yield
    finally:
        COMMIT_OBSERVER.reset(token)


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        raise ConfigurationError(f"BRIDGE_DATABASE_URL is not a valid database URL: {e}") from e
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True, future=True)
    raise ConfigurationError(f"unsupported database {parsed.get_backend_name()!r}; use sqlite or postgresql")


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: object) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
