"""Group commit of delivery rows: concurrent deliveries share transactions, a bad delivery fails alone,
and each outcome reaches the one who submitted it (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from sqlalchemy import event

from bridge.services.webhook_writes import BatchWriter, GroupCommit, Outcome, write_groups
from bridge.store import Store
from tests.store.test_delivery_rows import row


def stored(store: Store) -> list[str]:
    with store.read() as tx:
        return sorted(r.delivery for r in tx.deliveries.list("demo", "app", before=None, limit=1000))


def test_a_bad_delivery_fails_alone_and_the_others_are_stored(store: Store) -> None:
    bad = replace(row("github", "bad"), pusher=None)  # type: ignore[arg-type]  # NOT NULL
    outcomes = write_groups(store, [[row("github", "a")], [bad], [row("github", "b"), row("gitlab", "b")]])
    assert outcomes[0] == 1 and outcomes[2] == 2
    assert isinstance(outcomes[1], Exception)
    assert stored(store) == ["a", "b", "b"]
    assert write_groups(store, [[row("github", "a")], [row("github", "c")]]) == [0, 1]  # a: stored before


def test_threads_share_commits_and_each_gets_its_own_count(store: Store) -> None:
    commits: list[int] = []
    event.listen(store.engine, "commit", lambda _conn: commits.append(1))
    writer = GroupCommit(store)
    n = 40
    with ThreadPoolExecutor(8) as pool:
        counts = list(pool.map(lambda i: writer.add([row("github", f"d{i % 30}")]), range(n)))
    assert sorted(counts) == [0] * 10 + [1] * 30  # the ten re-sent deliveries add nothing
    assert stored(store) == sorted(f"d{i}" for i in range(30))
    assert 1 <= len(commits) <= n
    bad = replace(row("github", "bad"), pusher=None)  # type: ignore[arg-type]
    with pytest.raises(Exception, match="the store refused the write"):
        writer.add([bad])


def test_the_writer_thread_reports_each_outcome_once_and_drains_on_close(store: Store) -> None:
    reported: dict[str, Outcome] = {}
    batches: list[int] = []
    lock = threading.Lock()

    def report(outcomes: list[tuple[str, Outcome]]) -> None:
        with lock:
            batches.append(len(outcomes))
            for token, outcome in outcomes:
                assert token not in reported
                reported[token] = outcome

    writer: BatchWriter[str] = BatchWriter(store, report, max_batch=16)
    bad = replace(row("github", "bad"), pusher=None)  # type: ignore[arg-type]
    for i in range(100):
        writer.submit([row("github", f"w{i}")], f"t{i}")
    writer.submit([bad], "bad")
    writer.submit([row("github", "w0")], "again")
    writer.close()  # everything submitted before is written and reported
    assert {t: o for t, o in reported.items() if t.startswith("t")} == {f"t{i}": 1 for i in range(100)}
    assert isinstance(reported["bad"], Exception) and reported["again"] == 0
    assert max(batches) <= 16 and sum(batches) == 102
    assert len(stored(store)) == 100
