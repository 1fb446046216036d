"""The run index: every run of every pipeline, served to the API without asking Jenkins.

Revision ID: 0010_run_index
Revises: 0009_resync_requests
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_run_index"
down_revision = "0009_resync_requests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project", sa.String(63), nullable=False),
        sa.Column("pipeline", sa.String(253), nullable=False),
        sa.Column("number", sa.Integer, nullable=True),
        sa.Column("queue_id", sa.Integer, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("result", sa.String(16), nullable=True),
        sa.Column("branch", sa.String(253), nullable=True),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("trigger_user", sa.String(253), nullable=True),
        sa.Column("trigger_detail", sa.JSON, nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("graph", sa.JSON, nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_ms", sa.Integer, nullable=True),
        sa.Column("next_refresh_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unchanged", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.ForeignKeyConstraint(
            ["project", "pipeline"],
            ["pipelines.project", "pipelines.name"],
            name="fk_runs_project_pipelines",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("project", "pipeline", "number", name="uq_runs_number"),
    )
    op.create_index("ix_runs_next_refresh_at", "runs", ["next_refresh_at"])
    op.create_index("ix_runs_pipeline_id", "runs", ["project", "pipeline", "id"])


def downgrade() -> None:
    op.drop_index("ix_runs_pipeline_id", table_name="runs")
    op.drop_index("ix_runs_next_refresh_at", table_name="runs")
    op.drop_table("runs")
