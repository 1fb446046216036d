"""Delivery rows: insert-or-ignore per delivery across providers, and a duplicate check that reads the
unique key's index, so receiving stays as fast with a million stored deliveries as with none."""

from __future__ import annotations

from sqlalchemy import text

from bridge.store import Store
from bridge.store.webhooks import _TAKEN, QUEUED, NewDelivery


def row(provider: str, delivery: str, ref: str = "refs/heads/main") -> NewDelivery:
    return NewDelivery(
        provider=provider,
        delivery=delivery,
        event="push",
        project="demo",
        pipeline="app",
        repo_url="https://example.com/acme/widget.git",
        ref=ref,
        commit="c" * 40,
        pusher="otto",
        signed=True,
        parameters={},
        status=QUEUED,
    )


def test_groups_count_only_their_new_rows_across_providers(store: Store) -> None:
    with store.write() as tx:
        assert tx.deliveries.add_groups([[row("github", "d1")], [row("gitlab", "d1")]]) == [1, 1]
    with store.write() as tx:
        groups = [
            [row("github", "d1"), row("github", "d1", "refs/tags/v1")],  # one ref seen before, one new
            [row("gitea", "d1")],
            [row("gitlab", "d1")],
            [row("gitea", "d1")],  # the same delivery twice in one batch: stored once
        ]
        assert tx.deliveries.add_groups(groups) == [1, 1, 0, 0]
    with store.read() as tx:
        assert tx.deliveries.counts() == {"queued": 4}


def test_the_duplicate_check_searches_the_unique_index(store: Store) -> None:
    if store.engine.dialect.name != "sqlite":
        return  # PostgreSQL's planner prefers a scan on a small table; the same index serves it
    statement = _TAKEN.params(provider="github", deliveries=["a", "b"])
    sql = str(statement.compile(store.engine, compile_kwargs={"literal_binds": True}))
    with store.engine.connect() as conn:
        plan = conn.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
    details = " ".join(str(step[-1]) for step in plan)
    assert "SEARCH" in details and "provider=? AND delivery=?" in details and "SCAN" not in details, details
