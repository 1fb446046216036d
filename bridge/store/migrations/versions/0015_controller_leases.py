"""Controller leases: several workers share the Jenkins controllers, one worker per controller at a time.

Revision ID: 0015_controller_leases
Revises: 0014_placement

``controller_leases`` has a row per controller once a worker took it; ``lease_workers`` the workers'
heartbeats, so live workers spread the controllers between them. Both start empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_controller_leases"
down_revision = "0014_placement"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "controller_leases",
        sa.Column("controller", sa.String(63), nullable=False),
        sa.Column("holder", sa.String(253), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("controller", name="pk_controller_leases"),
    )
    op.create_table(
        "lease_workers",
        sa.Column("worker", sa.String(253), nullable=False),
        sa.Column("seen_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker", name="pk_lease_workers"),
    )


def downgrade() -> None:
    op.drop_table("lease_workers")
    op.drop_table("controller_leases")
