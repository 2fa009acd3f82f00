"""Analysis jobs may keep incidents in the estimate.

- ``analysis_jobs.include_incidents``: false (the default) leaves the windows where a journey
  burned out of the steady-state estimate a target comes from; true keeps them in, as
  ``slo-scout analyze --include-incidents`` does. Existing jobs were run without them.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("analysis_jobs") as batch:
        batch.add_column(sa.Column("include_incidents", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("analysis_jobs") as batch:
        batch.drop_column("include_incidents")
