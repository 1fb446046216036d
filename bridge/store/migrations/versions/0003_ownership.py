"""Ownership ledger: items the bridge created in Jenkins, so a stripped marker does not orphan them.

Revision ID: 0003_ownership
Revises: 0002_identity

Starts empty: the first pass after the upgrade fills it from the markers Jenkins holds.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_ownership"
down_revision = "0002_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "owned_items",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("project", sa.String(63), nullable=False),
        sa.Column("name", sa.String(253), nullable=False),
        sa.Column("jenkins", sa.String(63), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "project", "name", "jenkins", name="pk_owned_items"),
    )


def downgrade() -> None:
    op.drop_table("owned_items")
