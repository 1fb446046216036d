"""Git push webhooks: the trigger index and the deliveries.

Revision ID: 0011_webhooks
Revises: 0009_resync_requests

``webhook_triggers`` maps a normalised repository URL to the pipelines it starts (indexed lookup);
``webhook_deliveries`` holds every delivery from before its 202 until a run was started for it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_webhooks"
down_revision = "0010_run_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_triggers",
        sa.Column("project", sa.String(63), nullable=False),
        sa.Column("pipeline", sa.String(253), nullable=False),
        sa.Column("repo_key", sa.String(512), nullable=False),
        sa.PrimaryKeyConstraint("project", "pipeline", name="pk_webhook_triggers"),
        sa.ForeignKeyConstraint(
            ["project", "pipeline"],
            ["pipelines.project", "pipelines.name"],
            name="fk_webhook_triggers_project_pipelines",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_webhook_triggers_repo_key", "webhook_triggers", ["repo_key"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("delivery", sa.String(128), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("project", sa.String(63), nullable=False),
        sa.Column("pipeline", sa.String(253), nullable=False),
        sa.Column("repo_url", sa.Text, nullable=False),
        sa.Column("ref", sa.String(512), nullable=False),
        sa.Column("commit", sa.String(64), nullable=False),
        sa.Column("pusher", sa.String(255), nullable=False),
        sa.Column("signed", sa.Boolean, nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("queue_id", sa.Integer, nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
        sa.UniqueConstraint(
            "provider", "delivery", "project", "pipeline", "ref", name="uq_webhook_deliveries_key"
        ),
    )
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_attempt_at"])
    op.create_index("ix_webhook_deliveries_pipeline", "webhook_deliveries", ["project", "pipeline", "id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_pipeline", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index("ix_webhook_triggers_repo_key", table_name="webhook_triggers")
    op.drop_table("webhook_triggers")
