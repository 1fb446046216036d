"""Jenkins API tokens minted for users, so runs and approvals reach Jenkins as the real user.

Revision ID: 0004_jenkins_identities
Revises: 0003_ownership

Only used with ``jenkins.attribution = "user-token"``; the token is sealed with the store's secret key.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_jenkins_identities"
down_revision = "0003_ownership"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jenkins_user_tokens",
        sa.Column("jenkins", sa.String(63), nullable=False),
        sa.Column("user", sa.String(253), nullable=False),
        sa.Column("token_uuid", sa.String(64), nullable=False),
        sa.Column("token_sealed", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jenkins", "user", name="pk_jenkins_user_tokens"),
    )


def downgrade() -> None:
    op.drop_table("jenkins_user_tokens")
