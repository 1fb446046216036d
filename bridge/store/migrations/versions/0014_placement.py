"""Placement: projects are found by the cluster they are placed on.

Revision ID: 0014_placement
Revises: 0012_deploy_targets

A project's ``cluster`` (present since the first revision) now decides which Jenkins controller holds
its folder (``bridge/services/placement.py``); the cluster view counts the projects placed on each
cluster, so the column gets an index. Which controller serves a cluster is a setting, not a row, and
where a project's folder was created is the ownership ledger's ``jenkins`` column: nothing else to add.
"""

from __future__ import annotations

from alembic import op

revision = "0014_placement"
down_revision = "0013_approvals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_projects_cluster", "projects", ["cluster"])


def downgrade() -> None:
    op.drop_index("ix_projects_cluster", table_name="projects")
