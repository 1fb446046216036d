"""Migrations upgrade an empty database to exactly the declared tables, and downgrade cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from bridge.store import migrate
from bridge.store.engine import make_engine
from bridge.store.tables import metadata

TABLES = {
    "workspaces",
    "projects",
    "credentials",
    "pipelines",
    "sync_states",
    "tombstones",
    "dirty_keys",
    "owned_items",
    "pipeline_validations",
}


def test_upgrade_empty_database_matches_tables_and_downgrade_removes_them(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert migrate.current_revision(engine) is None
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert set(inspect(engine).get_table_names()) >= TABLES
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
        # Tables of later revisions (other modules' metadata) show up as "remove_table"/"remove_index".
        ours = [d for d in diff if not _foreign(d)]
        assert ours == [], f"tables.py and the migrations disagree: {ours}"

        migrate.upgrade(engine)  # idempotent
        migrate.downgrade(engine, "base")
        left = set(inspect(engine).get_table_names()) - {"alembic_version"}
        assert left == set()
        assert migrate.current_revision(engine) is None

        migrate.upgrade(engine)  # and back up again after a downgrade
        assert set(inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()


def test_first_revision_id_is_stable() -> None:
    """Other revisions (``0002_identity``) name it as their ``down_revision``."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert script.get_revision("0001_initial").down_revision is None


def _foreign(diff: object) -> bool:
    if not isinstance(diff, tuple):
        return False
    if diff[0] == "remove_table":
        return diff[1].name not in TABLES
    if diff[0] == "remove_index":
        return diff[1].table.name not in TABLES
    return False


def test_ownership_revision_follows_identity_in_one_line_of_history() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert script.get_revision("0003_ownership").down_revision == "0002_identity"
    assert len(script.get_heads()) == 1  # no branches: every revision builds on the one before
