"""The runtime database role on PostgreSQL: what ``serve`` and ``worker`` may do, separate from the
migration owner.

The owner of the tables (who runs the migrations) can drop the audit log's triggers; the runtime role
must not be able to. ``runtime_grants`` lists the statements that give a role exactly what the running
bridge needs: read and write on the state tables, SELECT and INSERT on ``audit_log`` (no UPDATE,
DELETE, TRUNCATE, TRIGGER), SELECT on ``audit_checkpoints`` (only ``audit prune``, run as the owner,
adds checkpoints) and ``alembic_version``, and the sequences. Every table of the schema is covered, so
tables added by later revisions are too (run it again after each upgrade).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, inspect, text

from bridge.errors import ConfigurationError

#: Tables the runtime may append to and read, never change.
APPEND_ONLY = frozenset({"audit_log"})
#: Tables the runtime may only read.
READ_ONLY = frozenset({"audit_checkpoints", "alembic_version"})
READ_WRITE = "SELECT, INSERT, UPDATE, DELETE"


@dataclass(frozen=True)
class Grants:
    role: str
    statements: tuple[str, ...]


def privileges(table: str) -> str:
    if table in APPEND_ONLY:
        return "SELECT, INSERT"
    if table in READ_ONLY:
        return "SELECT"
    return READ_WRITE


def runtime_grants(conn: Connection, role: str) -> Grants:
    """The statements for ``role`` (which must exist, and must be neither the tables' owner, a member
    of the owner's role, nor a superuser: any of those could drop the audit triggers)."""
    if conn.dialect.name != "postgresql":
        raise ConfigurationError(
            "a runtime role needs PostgreSQL; SQLite has no roles (protect its file instead)"
        )
    found = conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = :role"), {"role": role}).first()
    if found is None:
        raise ConfigurationError(f"role {role!r} does not exist; create it first (CREATE ROLE ... LOGIN)")
    if found.rolsuper:
        raise ConfigurationError(f"role {role!r} is a superuser; the runtime role must not be")
    schema = str(conn.execute(text("SELECT current_schema()")).scalar())
    owners = conn.execute(
        text(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = :schema "
            "AND pg_has_role(:role, tableowner, 'MEMBER')"
        ),
        {"schema": schema, "role": role},
    ).scalars()
    owning = sorted(owners)
    if owning:
        raise ConfigurationError(
            f"role {role!r} owns the tables or is a member of their owner ({', '.join(owning)}); "
            "the runtime role must be a separate role"
        )
    quote = conn.dialect.identifier_preparer.quote
    who, where = quote(role), quote(schema)
    statements = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {where} FROM {who}",
        f"GRANT USAGE ON SCHEMA {where} TO {who}",
    ]
    for table in sorted(inspect(conn).get_table_names(schema=schema)):
        statements.append(f"GRANT {privileges(table)} ON TABLE {where}.{quote(table)} TO {who}")
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {who}")
    return Grants(role=role, statements=tuple(statements))


def apply(conn: Connection, grants: Grants) -> None:
    for statement in grants.statements:
        conn.execute(text(statement))
