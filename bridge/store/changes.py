"""Has another process committed to the database? A cheap check for a worker in its own process.

SQLite answers ``PRAGMA data_version`` from one held connection without reading any table: the value
changes when another connection committed. The worker checks it every few tens of milliseconds between
polls, so a write made by ``serve`` or ``apply -f`` in another process starts a pass at once instead of
at the next ``reconcile.poll_interval``. Other databases report nothing (``None``): the poll stays.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine

#: Seconds between two checks; also how long a burst of writes must pause before a pass starts
#: (``reconcile/runner.py``). A check is one ``PRAGMA`` on a held connection (tens of microseconds).
INTERVAL = 0.02


class DataVersion:
    def __init__(self, engine: Engine) -> None:
        self._lock = threading.Lock()
        self._conn: Any = engine.raw_connection()
        self._last = self._read()

    def _read(self) -> int:
        cursor = self._conn.cursor()
        try:
            cursor.execute("PRAGMA data_version")
            return int(cursor.fetchone()[0])
        finally:
            cursor.close()

    def changed(self) -> bool:
        with self._lock:
            if self._conn is None:
                return False
            current = self._read()
            changed, self._last = current != self._last, current
            return changed

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def watch(engine: Engine) -> DataVersion | None:
    """A watch of other processes' commits, where the database offers one."""
    return DataVersion(engine) if engine.dialect.name == "sqlite" else None
