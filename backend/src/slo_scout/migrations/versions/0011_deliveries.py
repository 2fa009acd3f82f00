"""Deliveries: an approved bundle pushed to the team's repository, with its pull request.

Revision ID: 0011
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("bundle_id", sa.Integer, sa.ForeignKey("artifact_bundles.id"),
                  nullable=False),
        sa.Column("target", sa.String(500), nullable=False),
        sa.Column("service", sa.String(200), nullable=False),
        sa.Column("branch", sa.String(300), nullable=False),
        sa.Column("commit", sa.String(64), nullable=True),
        sa.Column("files_changed", sa.Integer, nullable=False),
        sa.Column("pull_request_url", sa.String(500), nullable=True),
        sa.Column("pull_request_number", sa.Integer, nullable=True),
        sa.Column("pull_request_action", sa.String(20), nullable=True),
        sa.Column("delivered_by", sa.String(200), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_deliveries_bundle_id", "deliveries", ["bundle_id"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_bundle_id", "deliveries")
    op.drop_table("deliveries")
