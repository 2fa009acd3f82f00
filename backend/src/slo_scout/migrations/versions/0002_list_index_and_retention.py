"""Journey list index; TimescaleDB retention driven by the setting, not a fixed 90 days.

- ``ix_journeys_env_requests`` (environment_id, requests DESC, id) serves the journey list (an
  environment's journeys, busiest first) by walking the index instead of sorting every row.
- On TimescaleDB the 0001 revision added a fixed 90-day retention policy. Retention now follows
  ``SLO_SCOUT_STATS_RETENTION_DAYS`` like the other backends: the policy is removed and
  ``slo_scout_drop_stats_before`` drops whole chunks older than the cutoff (``drop_chunks``),
  called by the worker's retention pass.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _timescale_installed(bind: sa.engine.Connection) -> bool:
    if bind.dialect.name != "postgresql":
        return False
    row = bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'"))
    return row.first() is not None


def upgrade() -> None:
    op.create_index("ix_journeys_env_requests", "journeys",
                    ["environment_id", sa.text("requests DESC"), "id"])
    if _timescale_installed(op.get_bind()):
        op.execute("SELECT remove_retention_policy('journey_stats', if_exists => true)")
        op.execute(
            "CREATE OR REPLACE FUNCTION slo_scout_drop_stats_before(cutoff timestamptz) "
            "RETURNS integer LANGUAGE sql AS $$ "
            "SELECT count(*)::integer FROM drop_chunks('journey_stats', older_than => cutoff) "
            "$$"
        )


def downgrade() -> None:
    if _timescale_installed(op.get_bind()):
        op.execute(
            "CREATE OR REPLACE FUNCTION slo_scout_drop_stats_before(cutoff timestamptz) "
            "RETURNS integer LANGUAGE sql AS $$ SELECT 0 $$"
        )
        op.execute("SELECT add_retention_policy('journey_stats', interval '90 days', "
                   "if_not_exists => true)")
    op.drop_index("ix_journeys_env_requests", table_name="journeys")
