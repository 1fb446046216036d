"""Migrations upgrade an empty database to exactly the declared tables, and downgrade cleanly."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import bridge
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
    "api_tokens",
    "role_bindings",
    "audit_log",
    "jenkins_user_tokens",
    "audit_checkpoints",
    "cluster_inventory",
    "workspace_placements",
    "pipeline_validations",
    "kubeconfig_sync",
    "runs",
    "webhook_triggers",
    "webhook_deliveries",
    "resync_requests",
    "deploy_targets",
    "approval_inputs",
    "approval_votes",
    "approval_events",
    "project_notifications",
    "controller_leases",
    "lease_workers",
}


def _import_every_table() -> None:
    """Tables are declared next to their repositories (store, identity, ...), all on one ``metadata``:
    import every module of the bridge (the sandbox has no tables) so the comparison sees them all,
    whichever tests ran before."""
    for module in pkgutil.walk_packages(bridge.__path__, "bridge."):
        if not module.name.startswith(("bridge.sandbox", "bridge.store.migrations")):
            importlib.import_module(module.name)


def test_upgrade_empty_database_matches_tables_and_downgrade_removes_them(database_url: str) -> None:
    _import_every_table()
    assert set(metadata.tables) == TABLES, "a new table: add it to TABLES"
    engine = make_engine(database_url)
    try:
        assert migrate.current_revision(engine) is None
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
        assert diff == [], f"the declared tables and the migrations disagree: {diff}"

        migrate.upgrade(engine)  # idempotent
        migrate.downgrade(engine, "base")
        left = set(inspect(engine).get_table_names()) - {"alembic_version"}
        assert left == set()
        assert migrate.current_revision(engine) is None

        migrate.upgrade(engine)  # and back up again after a downgrade
        assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
    finally:
        engine.dispose()


def test_first_revision_id_is_stable() -> None:
    """Other revisions (``0002_identity``) name it as their ``down_revision``."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert script.get_revision("0001_initial").down_revision is None


def test_ownership_revision_follows_identity_in_one_line_of_history() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert script.get_revision("0003_ownership").down_revision == "0002_identity"
    assert len(script.get_heads()) == 1  # no branches: every revision builds on the one before


def test_head_read_from_the_version_files_is_alembics_head() -> None:
    """The start-up fast path reads the head as text; it must name the head Alembic computes."""
    assert migrate.head_from_files() == migrate.head_revision()


def test_upgrade_of_a_store_behind_the_head_still_migrates(database_url: str) -> None:
    """The fast path returns only at the head: one revision behind, the upgrade runs."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    head = script.get_revision(script.get_current_head())
    assert isinstance(head.down_revision, str)
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine)
        migrate.downgrade(engine, head.down_revision)
        assert migrate.current_revision(engine) == head.down_revision
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == head.revision
        assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
    finally:
        engine.dispose()


def test_head_from_files_declines_what_it_cannot_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two heads (or a merge revision) leave the decision to Alembic."""
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "a.py").write_text('revision = "a"\ndown_revision = None\n')
    (versions / "b.py").write_text('revision = "b"\ndown_revision = "a"\n')
    monkeypatch.setattr(migrate, "MIGRATIONS", tmp_path)
    assert migrate.head_from_files() == "b"
    (versions / "c.py").write_text('revision = "c"\ndown_revision = "a"\n')
    assert migrate.head_from_files() is None
    (versions / "c.py").write_text('revision = "c"\ndown_revision = ("a", "b")\n')
    assert migrate.head_from_files() is None
