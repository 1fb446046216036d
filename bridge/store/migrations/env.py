"""Alembic environment: always run programmatically by ``bridge.store.migrate`` with a live connection."""

from __future__ import annotations

from alembic import context

from bridge.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable from the alembic command line
    raise RuntimeError("run migrations through bridge.store.migrate (jenkins-bridge serve does it at start)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copy
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
