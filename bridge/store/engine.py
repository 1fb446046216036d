"""Engine construction: SQLite (WAL, foreign keys, immediate write transactions) or PostgreSQL.

SQLite is shared by two processes (``serve`` and ``worker``). Python's sqlite3 driver starts its own
deferred transactions, which upgrade to write locks late and then fail with "database is locked"
without waiting; so the driver's handling is switched off and transactions begin explicitly —
``BEGIN IMMEDIATE`` for writes (which wait up to ``busy_timeout``), plain ``BEGIN`` for reads.

Statement parameters never appear in SQLAlchemy's error messages (``hide_parameters``): they may be
encrypted credential data or token hashes, and errors end up in logs. The SQLite database file is
created (or tightened to) mode 0600 in a 0700 directory; SQLite gives its ``-wal`` and ``-shm`` files
the database file's mode, and existing ones are tightened too.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
import weakref
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


#: One writer at a time per SQLite engine in this process: threads queue on a lock (handed over at
#: once) instead of on SQLite's busy handler, which polls with sleeps of up to 100 ms; other processes
#: still wait through ``busy_timeout``.
_WRITERS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_WRITERS_GUARD = threading.Lock()


def _writer_lock(engine: Engine) -> threading.RLock | contextlib.nullcontext[None]:
    if engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    with _WRITERS_GUARD:
        return _WRITERS.setdefault(engine, threading.RLock())


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A write transaction (immediate on SQLite) that the context's ``CommitObserver`` joins."""
    observer = COMMIT_OBSERVER.get()
    with _writer_lock(engine), engine.connect().execution_options(**{WRITE: True}) as conn:
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
        return create_engine(url, pool_pre_ping=True, future=True, hide_parameters=True)
    raise ConfigurationError(f"unsupported database {parsed.get_backend_name()!r}; use sqlite or postgresql")


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:" and not database.startswith("file:"):
        _private_database_file(Path(database))
    engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)

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
        if connection.get_execution_options().get(WRITE, False):
            _begin_immediate(connection.connection.dbapi_connection)
        else:
            connection.exec_driver_sql("BEGIN")

    return engine


#: How long one attempt at the write lock waits inside SQLite (ms), and the pause between attempts (s).
_ATTEMPT_MS, _PAUSE = 2, 0.001


def _begin_immediate(raw: Any) -> None:
    """``BEGIN IMMEDIATE``, waiting for another process's write transaction by attempts a millisecond
    apart. SQLite's own busy handler sleeps 1, 2, 5, 10 ... up to 100 ms between its attempts, so a
    writer arriving while another process commits transaction after transaction (``apply -f``, one per
    project; the worker recording a pass) can lose every race for hundreds of milliseconds. Threads of
    this process never get here together (``_writer_lock``)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    raw.execute(f"PRAGMA busy_timeout = {_ATTEMPT_MS}")
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as e:
                busy = e.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY  # also its extended codes
                if not busy or time.monotonic() >= deadline:
                    raise
            time.sleep(_PAUSE)
    finally:
        raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


#: Suffixes of the files SQLite keeps next to the database in WAL mode.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def _private_database_file(path: Path) -> None:
    """Create ``path`` (mode 0600, its directory 0700 when created) or tighten an existing one and its
    side files to 0600: they hold encrypted credentials, token hashes and the audit log."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as e:
        raise ConfigurationError(f"cannot create the database file {path}: {e.strerror}") from e
    for file in (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_SIDE_FILES)):
        try:
            if file.stat().st_mode & 0o077:
                file.chmod(0o600)
        except FileNotFoundError:
            continue
        except OSError as e:
            raise ConfigurationError(f"cannot make {file} private (mode 0600): {e.strerror}") from e
