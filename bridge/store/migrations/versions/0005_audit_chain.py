"""Audit log integrity: a hash chain over the rows, pruning through checkpoints, no replace or truncate.

Revision ID: 0005_audit_chain
Revises: 0004_jenkins_identities

* ``audit_log.prev_hash`` / ``hash``: each row hashes its content and the previous row's hash
  (``bridge.audit.chain``); rows written before this revision are chained here, in id order.
* ``audit_checkpoints``: one row per ``audit prune``; append-only like the log.
* The log's UPDATE/DELETE guard now lets a DELETE through only for rows a checkpoint covers (the
  ``audit prune`` path: checkpoint, archive and delete in one transaction); UPDATE stays refused.
* SQLite: ``INSERT OR REPLACE`` deletes the row it replaces without firing delete triggers, so an
  insert that names an existing id is refused. PostgreSQL: TRUNCATE is refused (statement trigger).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from bridge.audit.chain import FIELDS, GENESIS, row_hash

revision = "0005_audit_chain"
down_revision = "0004_jenkins_identities"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")
TABLES = ("audit_log", "audit_checkpoints")

_PG_GUARD = """
CREATE FUNCTION audit_log_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_checkpoints WHERE through_id >= OLD.id) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql
"""
_PG_REFUSE = """
CREATE FUNCTION audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql
"""
_SQLITE_GUARDS = (
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    WHEN NOT EXISTS (SELECT 1 FROM audit_checkpoints WHERE through_id >= OLD.id)
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log
    WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_log AS old WHERE old.id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER audit_checkpoints_no_replace BEFORE INSERT ON audit_checkpoints
    WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_checkpoints AS old WHERE old.id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END""",
    """CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
    BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END""",
    """CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
    BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END""",
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    _drop_0002_guard(postgres)
    with op.batch_alter_table("audit_log", recreate="never") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("hash", sa.String(64), nullable=False, server_default=""))
    _chain_existing_rows()
    if postgres:
        op.alter_column("audit_log", "prev_hash", server_default=None)
        op.alter_column("audit_log", "hash", server_default=None)
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("through_id", ID, nullable=False),
        sa.Column("through_hash", sa.String(64), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("before", TS, nullable=False),
        sa.Column("archive_sha256", sa.String(64), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(253), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_checkpoints"),
    )
    if postgres:
        _pg_guards()
    else:
        _sqlite_guards()


def _drop_0002_guard(postgres: bool) -> None:
    if postgres:
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")


def _chain_existing_rows() -> None:
    bind = op.get_bind()
    typed: dict[str, Any] = {"id": ID, "at": TS, "status": sa.SmallInteger()}
    names = ("id", "prev_hash", "hash", *FIELDS)
    log = sa.table("audit_log", *(sa.column(n, typed.get(n, sa.String())) for n in names))
    prev = GENESIS
    rows = bind.execute(sa.select(log).order_by(log.c.id)).mappings().all()
    for row in rows:
        digest = row_hash(dict(row), prev)
        bind.execute(sa.update(log).where(log.c.id == row["id"]).values(prev_hash=prev, hash=digest))
        prev = digest


def _pg_guards() -> None:
    op.execute(_PG_GUARD)
    op.execute(_PG_REFUSE)
    op.execute(
        "CREATE TRIGGER audit_log_guard BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_guard()"
    )
    op.execute(
        "CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints "
        "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()"
        )


def _sqlite_guards() -> None:
    for statement in _SQLITE_GUARDS:
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("DROP TRIGGER IF EXISTS audit_log_guard ON audit_log")
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoints_append_only ON audit_checkpoints")
        op.execute("DROP FUNCTION IF EXISTS audit_log_guard()")
        op.execute("DROP FUNCTION IF EXISTS audit_refuse_change()")
    else:
        for name in (
            "audit_log_no_update",
            "audit_log_no_delete",
            "audit_log_no_replace",
            "audit_checkpoints_no_replace",
            "audit_checkpoints_no_update",
            "audit_checkpoints_no_delete",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("audit_checkpoints")
    with op.batch_alter_table("audit_log", recreate="never") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
    # Back to revision 0002's guard (its function was never dropped on PostgreSQL).
    if postgres:
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )
