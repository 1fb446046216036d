"""What Jenkins's Declarative linter said about each inline Jenkinsfile.

Revision ID: 0007_pipeline_validation
Revises: 0006_clusters

Starts empty: a pipeline without a row shows no validation until its Jenkinsfile is next written.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_pipeline_validation"
down_revision = "0006_clusters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pipeline_validations",
        sa.Column("project", sa.String(63), nullable=False),
        sa.Column("name", sa.String(253), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("errors", sa.JSON, nullable=False),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project", "name"],
            ["pipelines.project", "pipelines.name"],
            name="fk_pipeline_validations_project_pipelines",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project", "name", name="pk_pipeline_validations"),
    )
    op.create_index("ix_pipeline_validations_status", "pipeline_validations", ["status"])


def downgrade() -> None:
    op.drop_index("ix_pipeline_validations_status", table_name="pipeline_validations")
    op.drop_table("pipeline_validations")
