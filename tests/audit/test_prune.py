"""`audit prune`: the one audited way rows leave the log; the rows left still verify, the archive
verifies on its own, and the delete trigger still refuses every row no checkpoint covers."""

from __future__ import annotations

import json
import stat
from datetime import timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.exc import DatabaseError

from bridge.audit import integrity
from bridge.audit.log import AuditLog, AuditQuery
from bridge.cli import main
from bridge.identity.tables import audit_checkpoints, audit_log, writing
from tests.audit.conftest import T0, entry


def _fill(engine, n: int = 6) -> None:
    log = AuditLog(engine)
    for i in range(n):
        log.append(entry(i))  # minute i after T0


def test_prune_archives_removes_and_records_and_the_rest_verifies(engine, cli_env, tmp_path) -> None:
    _fill(engine)
    archive = tmp_path / "old.jsonl"
    result = CliRunner().invoke(
        main,
        ["audit", "prune", "--before", (T0 + timedelta(minutes=4)).isoformat(), "--archive", str(archive)],
    )
    assert result.exit_code == 0, result.output
    assert "pruned 4 rows" in result.output
    left = AuditLog(engine).query(AuditQuery())
    assert [e.request_id for e in left if e.action != "audit.prune"] == ["r-5", "r-4"]
    pruned = [e for e in left if e.action == "audit.prune"]
    assert len(pruned) == 1 and pruned[0].actor.startswith("cli:") and "uid=" in pruned[0].address

    rows = [json.loads(line) for line in archive.read_text().splitlines()]
    assert [r["request_id"] for r in rows] == ["r-0", "r-1", "r-2", "r-3"]
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert integrity.verify_archive(archive.read_text().splitlines()).ok
    with engine.connect() as conn:
        checkpoint = conn.execute(sa.select(audit_checkpoints)).one()
    assert checkpoint.rows == 4 and checkpoint.through_hash == rows[-1]["hash"]

    verified = CliRunner().invoke(main, ["audit", "verify"])
    assert verified.exit_code == 0 and "3 rows verified" in verified.output
    assert CliRunner().invoke(main, ["audit", "verify", "--archive", str(archive)]).exit_code == 0


def test_a_changed_archive_does_not_verify(engine, tmp_path) -> None:
    _fill(engine, 3)
    archive = tmp_path / "a.jsonl"
    integrity.prune(
        engine, before=T0 + timedelta(minutes=3), entry=entry(99, action="audit.prune"), archive=archive
    )
    lines = archive.read_text().splitlines()
    doctored = json.loads(lines[1]) | {"actor": "mallory"}
    lines[1] = json.dumps(doctored)
    verdict = integrity.verify_archive(lines)
    assert (verdict.ok, verdict.first_bad) == (False, doctored["id"])


def test_rows_no_checkpoint_covers_still_cannot_be_deleted(engine) -> None:
    _fill(engine, 4)
    integrity.prune(engine, before=T0 + timedelta(minutes=2), entry=entry(99, action="audit.prune"))
    with pytest.raises(DatabaseError, match="append-only"), writing(engine) as conn, conn.begin():
        conn.execute(sa.delete(audit_log))
    with pytest.raises(DatabaseError, match="append-only"), writing(engine) as conn, conn.begin():
        conn.execute(sa.delete(audit_checkpoints))
    assert integrity.verify(engine).ok


def test_prune_refuses_when_the_rows_to_remove_were_tampered_with(engine, tmp_path) -> None:
    _fill(engine, 3)
    with writing(engine) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        else:
            conn.execute(sa.text("DROP TRIGGER audit_log_no_update"))
        conn.execute(sa.text("UPDATE audit_log SET actor = 'mallory' WHERE request_id = 'r-1'"))
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
    archive = tmp_path / "a.jsonl"
    with pytest.raises(integrity.ChainBroken):
        integrity.prune(
            engine, before=T0 + timedelta(hours=1), entry=entry(99, action="audit.prune"), archive=archive
        )
    assert not archive.exists()
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar() == 3


def test_pruning_everything_then_appending_keeps_one_chain(engine) -> None:
    _fill(engine, 2)
    integrity.prune(engine, before=T0 + timedelta(days=1), entry=entry(50, action="audit.prune"))
    AuditLog(engine).append(entry(60))
    integrity.prune(engine, before=T0 + timedelta(days=2), entry=entry(70, action="audit.prune"))
    AuditLog(engine).append(entry(80))
    verdict = integrity.verify(engine)
    assert verdict.ok and verdict.rows == 2  # the second prune entry and the last append


def test_prune_needs_an_archive_or_an_explicit_no_archive(cli_env) -> None:
    result = CliRunner().invoke(main, ["audit", "prune", "--before", "2026-01-01"])
    assert result.exit_code == 2 and "--archive" in result.output
