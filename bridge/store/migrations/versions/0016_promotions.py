"""Promotions: per pipeline target and workload, which run's image was observed running, since when.

Revision ID: 0016_promotions
Revises: 0015_controller_leases

Written by the promotion worker job (``services/workloads.py``, ``PromotionJob``); starts empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_promotions"
down_revision = "0015_controller_leases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "promotions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project", sa.String(63), nullable=False),
        sa.Column("pipeline", sa.String(253), nullable=False),
        sa.Column("cluster", sa.String(63), nullable=False),
        sa.Column("namespace", sa.String(63), nullable=False),
        sa.Column("workload", sa.String(330), nullable=False),
        sa.Column("run", sa.Integer, nullable=False),
        sa.Column("image", sa.Text, nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("current", sa.Boolean, nullable=False),
        sa.ForeignKeyConstraint(
            ["project", "pipeline"],
            ["pipelines.project", "pipelines.name"],
            name="fk_promotions_project_pipelines",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_promotions_pipeline", "promotions", ["project", "pipeline", "id"])


def downgrade() -> None:
    op.drop_index("ix_promotions_pipeline", table_name="promotions")
    op.drop_table("promotions")
