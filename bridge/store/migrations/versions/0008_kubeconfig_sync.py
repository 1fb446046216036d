"""Kubeconfig sync: the kubeconfig credentials the bridge keeps in each project's folder.

Revision ID: 0008_kubeconfig_sync
Revises: 0007_pipeline_validation

One row per (project, credential id): which cluster, its sync state, the inventory generation last
written. No kubeconfig is stored here (the inventory holds them, sealed).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_kubeconfig_sync"
down_revision = "0007_pipeline_validation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kubeconfig_sync",
        sa.Column("project", sa.String(63), nullable=False),
        sa.Column("credential_id", sa.String(128), nullable=False),
        sa.Column("cluster", sa.String(63), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("synced_generation", sa.Integer, nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("project", "credential_id", name="pk_kubeconfig_sync"),
        sa.ForeignKeyConstraint(
            ["project"], ["projects.name"], name="fk_kubeconfig_sync_project_projects", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_kubeconfig_sync_cluster", "kubeconfig_sync", ["cluster"])


def downgrade() -> None:
    op.drop_index("ix_kubeconfig_sync_cluster", table_name="kubeconfig_sync")
    op.drop_table("kubeconfig_sync")
