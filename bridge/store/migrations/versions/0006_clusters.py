"""The cluster inventory (kubeconfigs sealed) and KubeSphere workspace placements.

Revision ID: 0006_clusters
Revises: 0005_audit_chain

Written by the inventory (``bridge.inventory``) from its sources; read by the API.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_clusters"
down_revision = "0005_audit_chain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cluster_inventory",
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("origin", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("devops", sa.Boolean, nullable=False),
        sa.Column("ready", sa.Boolean, nullable=True),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("problem", sa.Text, nullable=True),
        sa.Column("kubeconfig_sealed", sa.LargeBinary, nullable=True),
        sa.Column("kubeconfig_digest", sa.String(64), nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reachable", sa.Boolean, nullable=True),
        sa.Column("latency_ms", sa.Float, nullable=True),
        sa.Column("kubernetes_version", sa.String(64), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_cluster_inventory"),
    )
    op.create_table(
        "workspace_placements",
        sa.Column("workspace", sa.String(63), nullable=False),
        sa.Column("clusters", sa.JSON, nullable=True),
        sa.Column("match_labels", sa.JSON, nullable=True),
        sa.Column("selector_all", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace", name="pk_workspace_placements"),
    )


def downgrade() -> None:
    op.drop_table("workspace_placements")
    op.drop_table("cluster_inventory")
