"""Per-minute step counts of journey keys, for incidents.

- ``journey_key_stats.steps``: the key's steps in that minute as compact JSON,
  ``[[service, operation, spans, errors, critical-path ppb], ...]`` (the summary's step triple,
  per minute; ``core.journeys.keystats_codec.encode_steps``). An incident
  (``POST /api/v1/incidents``) compares each step's errors and critical-path share after the
  burn started with the minutes before; the summary's steps are totals since the key was first
  seen and cannot say when a step began to fail. Null for minutes stored before this revision.

Revision ID: 0022
Revises: 0013 (the branch's head when written; the lead re-chains)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("journey_key_stats") as batch:
        batch.add_column(sa.Column("steps", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("journey_key_stats") as batch:
        batch.drop_column("steps")
