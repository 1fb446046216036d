"""Resync requests: full passes asked for through the API, queued for the worker.

Revision ID: 0009_resync_requests
Revises: 0008_kubeconfig_sync

One row per request: the project (NULL: every project), deep or not, who asked and when, and the
outcome the worker wrote (queued → running → done / failed, with a message).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_resync_requests"
down_revision = "0008_kubeconfig_sync"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resync_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project", sa.String(63), nullable=True),
        sa.Column("deep", sa.Boolean, nullable=False),
        sa.Column("requested_by", sa.String(253), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_resync_requests"),
    )


def downgrade() -> None:
    op.drop_table("resync_requests")
