"""The trace ledger partitioned by week on PostgreSQL; analysis jobs may name their window's end.

- ``trace_ledger`` becomes a declaratively range-partitioned table on PostgreSQL, by ``minute``
  (the minute of the trace's root, the time its statistics are filed under), one partition per
  ISO week (Monday 00:00 UTC), named ``trace_ledger_YYYYMMDD`` after its Monday. A week, not a
  day: a lookup by trace id probes every partition's index, and 13 weekly partitions hold the
  default 90 days where daily ones would be 90. A partitioned table's primary key must hold the
  partition column, so the key is (trace_id, minute); that a trace id is counted once across
  partitions is the claim's own check, within a day of the trace's minute
  (``control.journeys.keys.claim``).
  ``slo_scout_ensure_ledger_partitions(timestamptz[])`` creates the weeks a write needs (the
  writer calls it first, so no write fails for want of a partition; the worker's retention pass
  creates this week's and next week's ahead), and ``slo_scout_drop_ledger_before(cutoff)``
  drops the weeks wholly older than the cutoff, then deletes the older rows of the boundary
  week. The existing rows are carried over. SQLite keeps its plain table (pruned by DELETE).
- ``analysis_jobs.window_end``: the end an analysis request named; NULL: the window ends at the
  environment's newest stored minute.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ENSURE = """
CREATE OR REPLACE FUNCTION slo_scout_ensure_ledger_partitions(ts timestamptz[])
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    lo timestamptz;
    part text;
    created integer := 0;
BEGIN
    FOR lo IN
        SELECT DISTINCT date_trunc('week', t AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
        FROM unnest(ts) AS t WHERE t IS NOT NULL ORDER BY 1
    LOOP
        part := 'trace_ledger_' || to_char(lo AT TIME ZONE 'UTC', 'YYYYMMDD');
        IF to_regclass(part) IS NULL THEN
            -- two writers may need the same new week at once: one creates it, the other sees it
            PERFORM pg_advisory_xact_lock(hashtext('slo_scout_trace_ledger_partitions'));
            IF to_regclass(part) IS NULL THEN
                EXECUTE format(
                    'CREATE TABLE %I PARTITION OF trace_ledger FOR VALUES FROM (%L) TO (%L)',
                    part, lo, lo + interval '7 days');
                created := created + 1;
            END IF;
        END IF;
    END LOOP;
    RETURN created;
END $$;
"""

_DROP = """
CREATE OR REPLACE FUNCTION slo_scout_drop_ledger_before(cutoff timestamptz)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    rec record;
    dropped integer := 0;
BEGIN
    FOR rec IN
        SELECT c.relname FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.relname = 'trace_ledger'
          AND c.relname ~ '^trace_ledger_[0-9]{8}$'
          AND to_date(substr(c.relname, 14), 'YYYYMMDD') + interval '7 days'
              <= (cutoff AT TIME ZONE 'UTC')
    LOOP
        EXECUTE format('DROP TABLE %I', rec.relname);
        dropped := dropped + 1;
    END LOOP;
    -- the boundary week: partition pruning keeps this to the partitions before the cutoff
    DELETE FROM trace_ledger WHERE minute < cutoff;
    RETURN dropped;
END $$;
"""


def upgrade() -> None:
    op.add_column("analysis_jobs",
                  sa.Column("window_end", sa.DateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE trace_ledger RENAME TO trace_ledger_unpartitioned")
    op.execute("ALTER INDEX trace_ledger_pkey RENAME TO trace_ledger_unpartitioned_pkey")
    op.execute("DROP INDEX ix_trace_ledger_minute")
    op.execute(
        "CREATE TABLE trace_ledger ("
        " trace_id varchar(64) NOT NULL,"
        " journey_key varchar(64),"  # null: a fragment
        " minute timestamptz NOT NULL,"
        " recorded_at timestamptz NOT NULL DEFAULT now(),"
        " PRIMARY KEY (trace_id, minute)"
        ") PARTITION BY RANGE (minute)"
    )
    op.execute("CREATE INDEX ix_trace_ledger_minute ON trace_ledger (minute)")
    op.execute(_ENSURE)
    op.execute(_DROP)
    op.execute(
        "SELECT slo_scout_ensure_ledger_partitions(ARRAY(SELECT DISTINCT minute "
        "FROM trace_ledger_unpartitioned) || ARRAY[now(), now() + interval '7 days'])"
    )
    op.execute("INSERT INTO trace_ledger (trace_id, journey_key, minute, recorded_at) "
               "SELECT trace_id, journey_key, minute, recorded_at FROM trace_ledger_unpartitioned")
    op.execute("DROP TABLE trace_ledger_unpartitioned")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE trace_ledger RENAME TO trace_ledger_partitioned")
        # the plain table's key takes its old name back, which upgrade() renames again
        op.execute("ALTER INDEX trace_ledger_pkey RENAME TO trace_ledger_partitioned_pkey")
        op.execute("ALTER INDEX ix_trace_ledger_minute RENAME TO ix_trace_ledger_partitioned")
        op.create_table(
            "trace_ledger",
            sa.Column("trace_id", sa.String(64), primary_key=True),
            sa.Column("journey_key", sa.String(64), nullable=True),
            sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
            sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False,
                      server_default=sa.func.now()),
        )
        op.create_index("ix_trace_ledger_minute", "trace_ledger", ["minute"])
        # one row per trace id again: the first claim of a trace id wins
        op.execute("INSERT INTO trace_ledger (trace_id, journey_key, minute, recorded_at) "
                   "SELECT DISTINCT ON (trace_id) trace_id, journey_key, minute, recorded_at "
                   "FROM trace_ledger_partitioned ORDER BY trace_id, recorded_at, minute")
        op.execute("DROP TABLE trace_ledger_partitioned")
        op.execute("DROP FUNCTION IF EXISTS slo_scout_ensure_ledger_partitions(timestamptz[])")
        op.execute("DROP FUNCTION IF EXISTS slo_scout_drop_ledger_before(timestamptz)")
    with op.batch_alter_table("analysis_jobs") as batch:
        batch.drop_column("window_end")
