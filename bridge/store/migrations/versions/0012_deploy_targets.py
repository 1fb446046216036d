"""Deploy targets: each pipeline's declared (cluster, namespace) targets with their preflight state.

Revision ID: 0012_deploy_targets
Revises: 0011_webhooks

Starts empty: the targets themselves are part of the pipeline's definition (``pipelines.spec``), and a
pipeline written before targets existed declares none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_deploy_targets"
down_revision = "0011_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deploy_targets",
        sa.Column("project", sa.String(63), nullable=False),
        sa.Column("pipeline", sa.String(253), nullable=False),
        sa.Column("cluster", sa.String(63), nullable=False),
        sa.Column("namespace", sa.String(63), nullable=False),
        sa.Column("create_namespace", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("namespace_created", sa.Boolean, nullable=False),
        sa.Column("requested", sa.Boolean, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project", "pipeline"],
            ["pipelines.project", "pipelines.name"],
            name="fk_deploy_targets_project_pipelines",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project", "pipeline", "cluster", "namespace", name="pk_deploy_targets"),
    )
    op.create_index("ix_deploy_targets_cluster", "deploy_targets", ["cluster"])


def downgrade() -> None:
    op.drop_index("ix_deploy_targets_cluster", table_name="deploy_targets")
    op.drop_table("deploy_targets")
