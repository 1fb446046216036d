"""Initial tables: workspaces, projects, credentials, pipelines, sync state, tombstones, dirty keys.

Revision ID: 0001_initial
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _stamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    ]


def _key() -> list[sa.Column[object]]:
    return [
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("project", sa.String(63), nullable=False),
        sa.Column("name", sa.String(253), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("clusters", sa.JSON, nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("name", name="pk_workspaces"),
    )
    op.create_table(
        "projects",
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("workspace", sa.String(63), nullable=False),
        sa.Column("cluster", sa.String(253), nullable=True),
        sa.Column("description", sa.Text, nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("name", name="pk_projects"),
        sa.ForeignKeyConstraint(
            ["workspace"], ["workspaces.name"], name="fk_projects_workspace_workspaces", ondelete="RESTRICT"
        ),
    )
    op.create_index("ix_projects_workspace", "projects", ["workspace"])
    op.create_table(
        "credentials",
        sa.Column("project", sa.String(63), nullable=False),
        sa.Column("id", sa.String(63), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("public", sa.JSON, nullable=False),
        sa.Column("sealed", sa.LargeBinary, nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("project", "id", name="pk_credentials"),
        sa.ForeignKeyConstraint(
            ["project"], ["projects.name"], name="fk_credentials_project_projects", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "pipelines",
        sa.Column("project", sa.String(63), nullable=False),
        sa.Column("name", sa.String(253), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("spec", sa.JSON, nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("project", "name", name="pk_pipelines"),
        sa.ForeignKeyConstraint(
            ["project"], ["projects.name"], name="fk_pipelines_project_projects", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "sync_states",
        *_key(),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("synced_at", TS, nullable=True),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("kind", "project", "name", name="pk_sync_states"),
    )
    op.create_table(
        "tombstones",
        *_key(),
        sa.Column("jenkins", sa.String(63), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("kind", "project", "name", "jenkins", name="pk_tombstones"),
    )
    op.create_table(
        "dirty_keys",
        *_key(),
        sa.Column("enqueued_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("kind", "project", "name", name="pk_dirty_keys"),
    )
    op.create_index("ix_dirty_keys_enqueued_at", "dirty_keys", ["enqueued_at"])


def downgrade() -> None:
    op.drop_index("ix_dirty_keys_enqueued_at", table_name="dirty_keys")
    op.drop_table("dirty_keys")
    op.drop_table("tombstones")
    op.drop_table("sync_states")
    op.drop_table("pipelines")
    op.drop_table("credentials")
    op.drop_index("ix_projects_workspace", table_name="projects")
    op.drop_table("projects")
    op.drop_table("workspaces")
