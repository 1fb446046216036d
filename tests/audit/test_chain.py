"""The audit log's hash chain: written by every append, checked by `audit verify`, kept by concurrent
writers, and the table refuses the rewrites that bypassed its triggers (INSERT OR REPLACE, TRUNCATE)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy import Engine
from sqlalchemy.exc import DatabaseError

from bridge.audit import integrity
from bridge.audit.chain import GENESIS
from bridge.audit.log import AuditLog, AuditQuery
from bridge.cli import main
from bridge.identity.tables import audit_log, writing
from bridge.store import migrate
from tests.audit.conftest import entry

ROOT = Path(__file__).resolve().parents[2]


def _without_guards(engine: Engine, statement: str) -> None:
    """What someone with DDL rights on the database can do: drop the triggers, then rewrite."""
    with writing(engine) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        else:
            conn.execute(sa.text("DROP TRIGGER audit_log_no_update"))
            conn.execute(sa.text("DROP TRIGGER audit_log_no_delete"))
        conn.execute(sa.text(statement))


def _ids(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(audit_log.c.id).order_by(audit_log.c.id)).scalars())


def test_each_row_chains_to_the_one_before_and_verifies(engine) -> None:
    log = AuditLog(engine)
    for n in range(3):
        log.append(entry(n))
    with engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.id)).all()
    assert rows[0].prev_hash == GENESIS
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    assert len({r.hash for r in rows}) == 3
    verdict = integrity.verify(engine)
    assert verdict.ok and verdict.rows == 3 and verdict.head == rows[-1].hash


@pytest.mark.parametrize(
    ("statement", "bad", "reason"),
    [
        ("UPDATE audit_log SET actor = 'mallory' WHERE id = {second}", "second", "changed"),
        ("DELETE FROM audit_log WHERE id = {second}", "third", "does not follow"),
        ("UPDATE audit_log SET status = 200 WHERE id = {first}", "first", "changed"),
    ],
)
def test_verify_names_the_first_row_that_was_tampered_with(engine, statement, bad, reason) -> None:
    log = AuditLog(engine)
    for n in range(4):
        log.append(entry(n))
    first, second, third, _ = _ids(engine)
    ids = {"first": first, "second": second, "third": third}
    _without_guards(engine, statement.format(**ids))
    verdict = integrity.verify(engine)
    assert not verdict.ok
    assert verdict.first_bad == ids[bad] and reason in verdict.reason


def test_a_row_rewritten_with_a_fresh_hash_breaks_the_next_link(engine) -> None:
    """Recomputing the changed row's own hash does not help: the next row still names the old one."""
    from bridge.audit.chain import row_hash

    log = AuditLog(engine)
    for n in range(3):
        log.append(entry(n))
    _, second, third = _ids(engine)
    with engine.connect() as conn:
        row = dict(conn.execute(sa.select(audit_log).where(audit_log.c.id == second)).one()._mapping)
    row["actor"] = "mallory"
    forged = row_hash(row, row["prev_hash"])
    _without_guards(engine, f"UPDATE audit_log SET actor = 'mallory', hash = '{forged}' WHERE id = {second}")
    verdict = integrity.verify(engine)
    assert (verdict.ok, verdict.first_bad) == (False, third)


def test_cli_verify_exits_non_zero_and_names_the_row(engine, cli_env) -> None:
    log = AuditLog(engine)
    for n in range(3):
        log.append(entry(n))
    good = CliRunner().invoke(main, ["audit", "verify"])
    assert good.exit_code == 0, good.output
    assert "3 rows verified" in good.output
    second = _ids(engine)[1]
    _without_guards(engine, f"UPDATE audit_log SET path = '/elsewhere' WHERE id = {second}")
    bad = CliRunner().invoke(main, ["audit", "verify"])
    assert bad.exit_code == 1
    assert f"row {second} " in bad.output and "changed" in bad.output


def test_sqlite_insert_or_replace_cannot_rewrite_a_row(tmp_path) -> None:
    """REPLACE deletes the old row without firing delete triggers; the insert guard refuses it."""
    from bridge.store.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    migrate.upgrade(engine)
    AuditLog(engine).append(entry(0))
    (row_id,) = _ids(engine)
    with pytest.raises(DatabaseError, match="append-only"), writing(engine) as conn, conn.begin():
        conn.execute(
            sa.text(
                "INSERT OR REPLACE INTO audit_log (id, at, actor, actor_source, address, method, path, "
                "action, outcome, status, request_id, prev_hash, hash) VALUES (:id, '2026-01-01 00:00:00', "
                "'mallory', 'cli', '', 'X', '/', 'x', 'success', 200, 'r', :g, :g)"
            ),
            {"id": row_id, "g": GENESIS},
        )
    assert [e.actor for e in AuditLog(engine).query(AuditQuery())] == ["alice"]
    assert integrity.verify(engine).ok
    engine.dispose()


@pytest.mark.postgres
def test_postgres_truncate_is_refused(postgres_url) -> None:
    from bridge.store.engine import make_engine

    engine = make_engine(postgres_url)
    migrate.upgrade(engine)
    AuditLog(engine).append(entry(0))
    for table in ("audit_log", "audit_checkpoints"):
        with pytest.raises(DatabaseError, match="append-only"), writing(engine) as conn, conn.begin():
            conn.execute(sa.text(f"TRUNCATE {table}"))
    assert len(_ids(engine)) == 1
    engine.dispose()


def test_rows_written_before_the_chain_are_chained_by_the_migration(engine) -> None:
    migrate.downgrade(engine, "0004_jenkins_identities")
    columns = {c["name"] for c in sa.inspect(engine).get_columns("audit_log")}
    assert "hash" not in columns
    old = sa.table(
        "audit_log",
        *(
            sa.column(n)
            for n in (
                "at",
                "actor",
                "actor_source",
                "address",
                "method",
                "path",
                "action",
                "outcome",
                "status",
                "request_id",
            )
        ),
    )
    with writing(engine) as conn, conn.begin():
        for n in range(3):
            values = {k: v for k, v in entry(n).__dict__.items() if k in old.c}
            values["outcome"] = "success"
            conn.execute(sa.insert(old).values(**values))
    migrate.upgrade(engine)
    AuditLog(engine).append(entry(3))
    verdict = integrity.verify(engine)
    assert verdict.ok and verdict.rows == 4


_WRITER = textwrap.dedent(
    """
    import sys
    from bridge.audit.log import AuditLog
    from bridge.store.engine import make_engine
    from tests.audit.conftest import entry
    engine = make_engine(sys.argv[1])
    log = AuditLog(engine)
    for n in range(int(sys.argv[2])):
        log.append(entry(n, actor=sys.argv[3]))
    """
)


def test_the_chain_holds_with_two_writer_processes(engine, database_url) -> None:
    count = 150
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, database_url, str(count), name], env=env, cwd=ROOT)
        for name in ("one", "two")
    ]
    assert [w.wait(timeout=300) for w in writers] == [0, 0]
    verdict = integrity.verify(engine)
    assert verdict.ok, verdict
    assert verdict.rows == 2 * count
