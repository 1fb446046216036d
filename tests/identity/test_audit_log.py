"""The audit log appends, filters, pages, and cannot be edited even with SQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from bridge.audit.log import AuditEntry, AuditLog, AuditQuery, Outcome
from bridge.identity.tables import audit_log, writing
from bridge.store import migrate


def entry(clock, **kw) -> AuditEntry:
    base = dict(
        at=clock.now,
        actor="alice",
        actor_source="api-token",
        address="10.0.0.1",
        method="POST",
        path="/api/v1/projects",
        action="project.create",
        outcome=Outcome.SUCCESS,
        status=201,
        request_id="r-1",
        project="proj-a",
    )
    base.update(kw)
    return AuditEntry(**base)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.SUCCESS),
        (202, Outcome.SUCCESS),
        (401, Outcome.UNAUTHENTICATED),
        (403, Outcome.DENIED),
        (404, Outcome.FAILED),
        (500, Outcome.FAILED),
    ],
)
def test_outcome_of_status(status: int, outcome: Outcome) -> None:
    assert Outcome.of_status(status) is outcome


def test_query_filters_and_pages_newest_first(engine, clock) -> None:
    log = AuditLog(engine)
    log.append(entry(clock))
    clock.advance(minutes=1)
    log.append(entry(clock, actor="bob", action="run.trigger", project="proj-b", request_id="r-2"))
    clock.advance(minutes=1)
    log.append(entry(clock, action="credential.write", outcome=Outcome.DENIED, status=403, request_id="r-3"))
    assert [e.request_id for e in log.query(AuditQuery())] == ["r-3", "r-2", "r-1"]
    assert [e.request_id for e in log.query(AuditQuery(project="proj-a"))] == ["r-3", "r-1"]
    assert [e.request_id for e in log.query(AuditQuery(actor="bob"))] == ["r-2"]
    assert [e.request_id for e in log.query(AuditQuery(action="credential.write"))] == ["r-3"]
    since = clock.now - timedelta(minutes=1)
    assert [e.request_id for e in log.query(AuditQuery(since=since))] == ["r-3", "r-2"]
    assert [e.request_id for e in log.query(AuditQuery(until=since))] == ["r-1"]
    first = log.query(AuditQuery(limit=1))
    assert [e.request_id for e in log.query(AuditQuery(before_id=first[0].id, limit=1))] == ["r-2"]
    got = log.query(AuditQuery(actor="alice", action="credential.write"))[0]
    assert (got.outcome, got.status, got.at, got.address) == (Outcome.DENIED, 403, clock.now, "10.0.0.1")


@pytest.mark.parametrize(
    "statement", [sa.update(audit_log).values(actor="someone-else"), sa.delete(audit_log)]
)
def test_the_table_refuses_update_and_delete(engine, clock, statement) -> None:
    AuditLog(engine).append(entry(clock))
    with pytest.raises(DatabaseError, match="append-only"), writing(engine) as conn, conn.begin():
        conn.execute(statement)
    assert [e.actor for e in AuditLog(engine).query(AuditQuery())] == ["alice"]


def test_migration_downgrades_to_0001_and_back(engine, clock) -> None:
    migrate.downgrade(engine, "0001_initial")
    tables = set(sa.inspect(engine).get_table_names())
    assert not {"api_tokens", "role_bindings", "audit_log"} & tables
    assert "projects" in tables
    migrate.upgrade(engine)
    AuditLog(engine).append(entry(clock))
    assert len(AuditLog(engine).query(AuditQuery())) == 1


def test_time_filters_compare_instants_whatever_the_offset(engine, clock) -> None:
    """13:00+02:00 is 11:00Z: an entry at 12:00Z is after it, though its wall-clock digits are smaller."""
    log = AuditLog(engine)
    log.append(entry(clock))  # 12:00Z
    plus_two = timezone(timedelta(hours=2))
    assert [
        e.request_id for e in log.query(AuditQuery(since=datetime(2026, 1, 1, 13, 0, tzinfo=plus_two)))
    ] == ["r-1"]
    assert log.query(AuditQuery(until=datetime(2026, 1, 1, 13, 0, tzinfo=plus_two))) == []
    log.append(entry(clock, at=clock.now.astimezone(timezone(timedelta(hours=-5))), request_id="r-2"))
    assert [e.at for e in log.query(AuditQuery())] == [clock.now, clock.now]
