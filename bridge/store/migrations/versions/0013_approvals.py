"""Approvals: pending inputs seen by the bridge, partial approvals, approval events and notifications.

Revision ID: 0013_approvals
Revises: 0012_deploy_targets

Starts empty: the worker records every input a paused run waits on (``approval_inputs``); the pipeline's
approval rules are part of its definition (``pipelines.spec``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_approvals"
down_revision = "0012_deploy_targets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "approval_inputs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project", sa.String(63), nullable=False),
        sa.Column("pipeline", sa.String(253), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("input_id", sa.String(253), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("ok", sa.String(253), nullable=False),
        sa.Column("submitter", sa.Text, nullable=True),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("started_by", sa.String(253), nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(253), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project", "pipeline"],
            ["pipelines.project", "pipelines.name"],
            name="fk_approval_inputs_project_pipelines",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("project", "pipeline", "number", "input_id", name="uq_approval_inputs_project"),
    )
    op.create_index("ix_approval_inputs_state", "approval_inputs", ["state", "id"])
    op.create_table(
        "approval_votes",
        sa.Column("input", sa.Integer, nullable=False),
        sa.Column("user", sa.String(253), nullable=False),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["input"],
            ["approval_inputs.id"],
            name="fk_approval_votes_input_approval_inputs",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("input", "user", name="pk_approval_votes"),
    )
    op.create_table(
        "approval_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project", sa.String(63), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notify_status", sa.String(16), nullable=False),
        sa.Column("notify_attempts", sa.Integer, nullable=False),
        sa.Column("notify_next_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notify_error", sa.Text, nullable=True),
    )
    op.create_index("ix_approval_events_notify", "approval_events", ["notify_status", "notify_next_at"])
    op.create_table(
        "project_notifications",
        sa.Column("project", sa.String(63), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("sealed_secret", sa.LargeBinary, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project"],
            ["projects.name"],
            name="fk_project_notifications_project_projects",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project", name="pk_project_notifications"),
    )


def downgrade() -> None:
    op.drop_table("project_notifications")
    op.drop_index("ix_approval_events_notify", table_name="approval_events")
    op.drop_table("approval_events")
    op.drop_table("approval_votes")
    op.drop_index("ix_approval_inputs_state", table_name="approval_inputs")
    op.drop_table("approval_inputs")
