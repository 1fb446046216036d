"""Tables of the identity and audit data (created by Alembic revision ``0002_identity``).

SQLAlchemy Core tables on the store's ``MetaData``: identity code runs plain statements against the
store's engine. Times are stored in UTC; SQLite drops the zone, so readers go through
``bridge.store.records.utc``.
Writes go through ``writing()`` so SQLite takes its write lock at BEGIN (see ``bridge.store.engine``).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)

from bridge.store.engine import WRITE
from bridge.store.tables import metadata

NAME = 253  # longest Kubernetes user/group name we accept

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("hint", String(16), nullable=False),  # jbt_ + first 4 characters, for humans listing tokens
    Column("user", String(NAME), nullable=False),
    Column("groups", JSON, nullable=False),
    Column("description", String(256), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(NAME), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
)

role_bindings = Table(
    "role_bindings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(16), nullable=False),  # project | workspace
    Column("scope_name", String(NAME), nullable=False),
    Column("subject_kind", String(8), nullable=False),  # user | group
    Column("subject", String(NAME), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(NAME), nullable=False),
    UniqueConstraint("scope", "scope_name", "subject_kind", "subject", name="uq_role_bindings_subject"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(NAME), nullable=False),
    Column("actor_source", String(16), nullable=False),
    Column("token_id", String(32), nullable=True),
    Column("address", String(64), nullable=False),
    Column("method", String(8), nullable=False),
    Column("path", String(512), nullable=False),
    Column("action", String(64), nullable=False),
    Column("project", String(63), nullable=True),
    Column("outcome", String(16), nullable=False),  # success | denied | failed | unauthenticated
    Column("status", SmallInteger, nullable=False),
    Column("request_id", String(64), nullable=False),
    #: The hash chain (``bridge.audit.chain``, revision ``0005_audit_chain``).
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_project_at", "project", "at"),
    Index("ix_audit_log_actor_at", "actor", "at"),
)

#: One row per ``audit prune``: the rows up to ``through_id`` were archived and removed, and the first
#: row left chains from ``through_hash``. Append-only like the log; the log's delete trigger lets
#: through only rows a checkpoint covers.
audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("through_id", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("through_hash", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("before", DateTime(timezone=True), nullable=False),
    Column("archive_sha256", String(64), nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(NAME), nullable=False),
)


def writing(engine: Engine) -> Connection:
    """A connection whose transaction will write (use as ``with writing(e) as c, c.begin():``)."""
    return engine.connect().execution_options(**{WRITE: True})
