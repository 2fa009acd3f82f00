"""Fragments kept: traces whose root never arrived, counted apart by their topmost span.

Every path (API ingest, the stream) reported them only in the answer of the upload or batch
that saw them; an operator of the stream never saw them at all. ``journey_fragments`` keeps
their counts per team, environment and top span, for ``GET /api/v1/fragments``.

Revision ID: 0009
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "journey_fragments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=False),
        sa.Column("environment", sa.String(100), nullable=False),
        sa.Column("service", sa.String(200), nullable=False),
        sa.Column("operation", sa.String(500), nullable=False),
        sa.Column("traces", sa.BigInteger, nullable=False),
        sa.Column("spans", sa.BigInteger, nullable=False),
        sa.Column("samples", sa.JSON, nullable=False),
        sa.Column("first_seen", _TS, nullable=False),
        sa.Column("last_seen", _TS, nullable=False),
        sa.UniqueConstraint("team_id", "environment", "service", "operation"),
    )


def downgrade() -> None:
    op.drop_table("journey_fragments")
