"""The scheduler runs in exactly one process: a lock held for the worker's lifetime.

* SQLite (the embedded default): an exclusive ``flock`` on ``<database file>-worker.lock``, next to
  the database (as SQLite's own ``-wal`` and ``-shm`` files): every process that opens the file sees
  the same lock, whatever its data directory. An in-memory database uses ``<data_dir>/worker.lock``.
* PostgreSQL (HA): a session-level ``pg_try_advisory_lock`` on a dedicated connection; the lock goes
  when that connection does, so a crashed leader hands over to a standby within one retry period.

A second ``jenkins-bridge worker`` waits as a standby (``wait=True``) and takes over when the
holder exits.

The PostgreSQL lock can also be lost while the holder runs: a database restart or failover, a pooler's
idle timeout or ``pg_terminate_backend`` ends the session, and a standby then takes the lock. So the
worker calls ``verify`` before every pass (``bridge.reconcile.runner``) and stops scheduling when it
fails; the ``flock`` cannot be lost while the process holds its descriptor, so there ``verify`` only
says whether the lock was taken.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bridge.errors import Conflict

log = logging.getLogger(__name__)

LOCK_ID = int.from_bytes(hashlib.sha256(b"jenkins-bridge/worker").digest()[:8], "big", signed=True)
#: ``pg_locks`` shows a bigint advisory key as ``classid`` (high 32 bits), ``objid`` (low 32 bits) and
#: ``objsubid = 1``.
_KEY = LOCK_ID & 0xFFFF_FFFF_FFFF_FFFF
HELD = text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid() AND classid::bigint = :hi AND objid::bigint = :lo AND objsubid = 1)"
).bindparams(hi=_KEY >> 32, lo=_KEY & 0xFFFF_FFFF)


class LeadershipLost(RuntimeError):
    """The scheduler lock is no longer ours: another worker may be scheduling now."""


class LeaderLock:
    """Held by the one process that runs the reconciliation scheduler."""

    def __init__(self, *, database_url: str, data_dir: Path) -> None:
        self._url = database_url
        self._data_dir = data_dir
        self._handle: Any = None
        self._engine: Any = None

    def acquire(
        self, *, wait: bool = False, retry_every: float = 5.0, stop: threading.Event | None = None
    ) -> bool:
        """Take the lock; with ``wait`` keep trying (as a standby) until taken or ``stop`` is set."""
        stop = stop or threading.Event()
        while True:
            if self._try():
                return True
            if not wait:
                raise Conflict(
                    "another jenkins-bridge worker is running reconciliation against this database"
                )
            log.info("another worker holds the scheduler lock; standing by")
            if stop.wait(retry_every):
                return False

    def lock_path(self) -> Path:
        """The SQLite lock file: derived from the database, not the data directory, so two processes
        sharing one database through different data directories still exclude each other."""
        database = make_url(self._url).database
        if not database or database == ":memory:" or database.startswith("file:"):
            return self._data_dir / "worker.lock"
        return Path(os.path.abspath(database) + "-worker.lock")

    def _try(self) -> bool:
        if make_url(self._url).get_backend_name() == "postgresql":
            if self._engine is None:
                self._engine = create_engine(self._url, poolclass=None, pool_pre_ping=True)
            # Autocommit: the session holds the lock, not a transaction, and must not sit "idle in
            # transaction" (which ``idle_in_transaction_session_timeout`` would end).
            conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            if conn.execute(text("SELECT pg_try_advisory_lock(:id)"), {"id": LOCK_ID}).scalar():
                self._handle = conn
                return True
            conn.close()
            return False
        path = self.lock_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._handle = fd
        return True

    def verify(self) -> bool:
        """Whether we still hold the lock; on PostgreSQL asked of the server on the lock's own session
        (a dropped connection, or a session that lost the lock, answers False)."""
        if self._handle is None:
            return False
        if isinstance(self._handle, int):
            return True
        try:
            return bool(self._handle.execute(HELD).scalar())
        except SQLAlchemyError:
            log.exception("cannot check the scheduler lock on PostgreSQL")
            return False

    def release(self) -> None:
        if isinstance(self._handle, int):
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            os.close(self._handle)
        elif self._handle is not None:
            try:
                self._handle.close()  # ends the session: PostgreSQL drops its advisory locks
            except SQLAlchemyError:  # the session is already gone (the lock with it)
                log.debug("closing the scheduler lock session failed", exc_info=True)
        if self._engine is not None:
            self._engine.dispose()
        self._handle = self._engine = None
