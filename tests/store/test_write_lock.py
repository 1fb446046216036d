"""A write transaction waits for another process's (another engine on the same file) instead of failing
with "database is locked": it attempts the lock with a short busy timeout, 1 ms apart, then gives its
connection back its long busy timeout for the statements of the transaction."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import text

from bridge.store.engine import make_engine, write_transaction


def test_a_writer_of_another_process_waits_for_the_lock_and_gets_it_once_released(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bridge.db'}"
    first, second = make_engine(url), make_engine(url)  # two engines: two processes' connections
    with write_transaction(first) as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    held, released, got = threading.Event(), [0.0], [0.0]

    def holder() -> None:
        with write_transaction(first) as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
            held.set()
            time.sleep(0.3)
            released[0] = time.monotonic()

    thread = threading.Thread(target=holder)
    thread.start()
    assert held.wait(10)
    with write_transaction(second) as conn:  # waits for the holder's commit, then writes
        got[0] = time.monotonic()
        assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == 30_000
        conn.execute(text("INSERT INTO t VALUES (2)"))
    thread.join(10)
    with second.connect() as conn:
        assert [r[0] for r in conn.execute(text("SELECT n FROM t ORDER BY n"))] == [1, 2]
    assert got[0] >= released[0]  # it did wait for the release
    first.dispose()
    second.dispose()
