"""The scheduler runs in exactly one process: a lock held for the worker's lifetime.

* SQLite (the embedded default): an exclusive ``flock`` on ``<database file>-worker.lock``, next to
  the database (as SQLite's own ``-wal`` and ``-shm`` files): every process that opens the file sees
  the same lock, whatever its data directory. An in-memory database uses ``<data_dir>/worker.lock``.
* PostgreSQL (HA): a session-level ``pg_try_advisory_lock`` on a dedicated connection; the lock goes
  when that connection does, so a crashed leader hands over to a standby within one retry period.

A second ``jenkins-bridge worker`` waits as a standby (``wait=True``) and takes over when the
holder exits.
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

from bridge.errors import Conflict

log = logging.getLogger(__name__)

LOCK_ID = int.from_bytes(hashlib.sha256(b"jenkins-bridge/worker").digest()[:8], "big", signed=True)


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
            conn = self._engine.connect()
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

    def release(self) -> None:
        if isinstance(self._handle, int):
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            os.close(self._handle)
        elif self._handle is not None:
            self._handle.close()  # ends the session: PostgreSQL drops its advisory locks
        if self._engine is not None:
            self._engine.dispose()
        self._handle = self._engine = None
