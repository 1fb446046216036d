"""Scoped deploy credentials: one row per (project, cluster) with its grants and sealed kubeconfig, and
the ClusterRole each deploy target binds.

Revision ID: 0017_scoped_credentials
Revises: 0016_promotions

Starts empty: every cluster's policy is ``full`` until settings say otherwise, and a target written
before keeps the default ClusterRole (``cluster_role`` null).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_scoped_credentials"
down_revision = "0016_promotions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scoped_credentials",
        sa.Column("project", sa.String(63), nullable=False),
        sa.Column("cluster", sa.String(63), nullable=False),
        sa.Column("grants", sa.Text, nullable=False),
        sa.Column("kubeconfig_sealed", sa.LargeBinary, nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rotate_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("project", "cluster", name="pk_scoped_credentials"),
    )
    with op.batch_alter_table("deploy_targets") as batch:
        batch.add_column(sa.Column("cluster_role", sa.String(253), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deploy_targets") as batch:
        batch.drop_column("cluster_role")
    op.drop_table("scoped_credentials")
