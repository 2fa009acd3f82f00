"""Initial schema: catalog, time series, jobs, results, SLOs, artifacts, access control, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-24

journey_stats (one row per journey per minute) is a TimescaleDB hypertable with compression and
retention when the extension is available, a natively range-partitioned table (one partition per
month, created on demand by ``slo_scout_ensure_stats_partition``) when it is not, and a plain
table on SQLite. Queries are the same on all three.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from slo_scout.db.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

RETENTION_DAYS = 90

_NATIVE_FUNCTIONS = ("""
CREATE FUNCTION slo_scout_ensure_stats_partition(ts timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    lo timestamptz := date_trunc('month', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    hi timestamptz := lo + interval '1 month';
    part text := 'journey_stats_' || to_char(lo AT TIME ZONE 'UTC', 'YYYY_MM');
BEGIN
    IF to_regclass(part) IS NOT NULL THEN RETURN; END IF;
    -- two ingests may need the same new month at once; one creates it, the other sees it.
    PERFORM pg_advisory_xact_lock(hashtext('slo_scout_journey_stats_partitions'));
    IF to_regclass(part) IS NULL THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF journey_stats FOR VALUES FROM (%L) TO (%L)',
                       part, lo, hi);
    END IF;
END $$;
""", """
CREATE FUNCTION slo_scout_drop_stats_before(cutoff timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    rec record;
    dropped integer := 0;
BEGIN
    FOR rec IN
        SELECT c.relname FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.relname = 'journey_stats'
          AND c.relname ~ '^journey_stats_[0-9]{4}_[0-9]{2}$'
          AND to_date(substr(c.relname, 15), 'YYYY_MM') + interval '1 month'
              <= (cutoff AT TIME ZONE 'UTC')
    LOOP
        EXECUTE format('DROP TABLE %I', rec.relname);
        dropped := dropped + 1;
    END LOOP;
    RETURN dropped;
END $$;
""")

# A hypertable makes its own chunks and drops them by policy: these become no-ops.
_TIMESCALE_FUNCTIONS = (
    "CREATE FUNCTION slo_scout_ensure_stats_partition(ts timestamptz) RETURNS void "
    "LANGUAGE sql AS $$ SELECT $$",
    "CREATE FUNCTION slo_scout_drop_stats_before(cutoff timestamptz) RETURNS integer "
    "LANGUAGE sql AS $$ SELECT 0 $$",
)


def _now() -> sa.Column[object]:
    return sa.Column("created_at", UTCDateTime(), nullable=False)


def _timescale_available(bind: sa.engine.Connection) -> bool:
    row = bind.execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")
    ).first()
    return row is not None


def _create_stats_postgres(bind: sa.engine.Connection) -> None:
    columns = """
        journey_id integer NOT NULL REFERENCES journeys(id) ON DELETE CASCADE,
        minute timestamptz NOT NULL,
        requests bigint NOT NULL,
        errors bigint NOT NULL,
        latency_sketch text NOT NULL,
        PRIMARY KEY (journey_id, minute)
    """
    if _timescale_available(bind):
        op.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
        op.execute(f"CREATE TABLE journey_stats ({columns})")
        op.execute(
            "SELECT create_hypertable('journey_stats', 'minute', "
            "chunk_time_interval => interval '1 day')"
        )
        op.execute(
            "ALTER TABLE journey_stats SET (timescaledb.compress, "
            "timescaledb.compress_segmentby = 'journey_id', "
            "timescaledb.compress_orderby = 'minute')"
        )
        op.execute("SELECT add_compression_policy('journey_stats', interval '7 days')")
        op.execute(
            f"SELECT add_retention_policy('journey_stats', interval '{RETENTION_DAYS} days')"
        )
        for statement in _TIMESCALE_FUNCTIONS:
            op.execute(statement)
    else:
        op.execute(f"CREATE TABLE journey_stats ({columns}) PARTITION BY RANGE (minute)")
        for statement in _NATIVE_FUNCTIONS:
            op.execute(statement)


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        _now(),
    )
    op.create_table(
        "services",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        _now(),
    )
    op.create_table(
        "environments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "service_id", sa.Integer, sa.ForeignKey("services.id"), nullable=False, index=True
        ),
        sa.Column("name", sa.String(100), nullable=False),
        _now(),
        sa.UniqueConstraint("service_id", "name"),
    )
    def env_fk() -> sa.ForeignKey:
        return sa.ForeignKey("environments.id")

    op.create_table(
        "journeys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("environment_id", sa.Integer, env_fk(), nullable=False, index=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("entry_service", sa.String(200), nullable=False),
        sa.Column("entry_operation", sa.String(500), nullable=False),
        sa.Column("protocol", sa.String(20), nullable=False),
        sa.Column("span_name", sa.String(500), nullable=False),
        sa.Column("method", sa.String(20)),
        sa.Column("fingerprint", sa.String(128), nullable=False),
        sa.Column("services", sa.JSON, nullable=False),
        sa.Column("edges", sa.JSON, nullable=False),
        sa.Column("critical_path", sa.JSON, nullable=False),
        sa.Column("sample_trace_ids", sa.JSON, nullable=False),
        sa.Column("requests", sa.BigInteger, nullable=False),
        sa.Column("errors", sa.BigInteger, nullable=False),
        sa.Column("latency_sketch", sa.Text, nullable=False),
        sa.Column("first_seen", UTCDateTime(), nullable=False),
        sa.Column("last_seen", UTCDateTime(), nullable=False, index=True),
        sa.UniqueConstraint("environment_id", "key"),
    )
    if bind.dialect.name == "postgresql":
        _create_stats_postgres(bind)
    else:
        op.create_table(
            "journey_stats",
            sa.Column("journey_id", sa.Integer, sa.ForeignKey("journeys.id"), primary_key=True),
            sa.Column("minute", UTCDateTime(), primary_key=True),
            sa.Column("requests", sa.BigInteger, nullable=False),
            sa.Column("errors", sa.BigInteger, nullable=False),
            sa.Column("latency_sketch", sa.Text, nullable=False),
        )
    op.create_table(
        "analysis_jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("environment_id", sa.Integer, env_fk(), nullable=False, index=True),
        sa.Column("lookback_seconds", sa.Integer, nullable=False),
        sa.Column("strategy", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("stage", sa.String(50), nullable=False),
        sa.Column("progress", sa.Float, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("lease_owner", sa.String(200)),
        sa.Column("lease_expires_at", UTCDateTime()),
        sa.Column("error", sa.Text),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False, index=True),
        sa.Column("started_at", UTCDateTime()),
        sa.Column("finished_at", UTCDateTime()),
        sa.Column("timings", sa.JSON, nullable=False),
        sa.Column("result_id", sa.Integer),
    )
    op.create_table(
        "analysis_results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("environment_id", sa.Integer, env_fk(), nullable=False, index=True),
        sa.Column(
            "job_id", sa.String(36), sa.ForeignKey("analysis_jobs.id"), nullable=False, index=True
        ),
        sa.Column("version", sa.Integer, nullable=False),
        _now(),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("recommendations", sa.JSON, nullable=False),
        sa.UniqueConstraint("environment_id", "version"),
    )
    op.create_table(
        "slos",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("environment_id", sa.Integer, env_fk(), nullable=False, index=True),
        sa.Column("journey_id", sa.Integer, sa.ForeignKey("journeys.id")),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("sli_kind", sa.String(20), nullable=False),
        sa.Column("objective", sa.Float, nullable=False),
        sa.Column("threshold_seconds", sa.Float),
        sa.Column("window_days", sa.Integer, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("result_id", sa.Integer, sa.ForeignKey("analysis_results.id")),
        sa.Column("last_changed_by", sa.String(200), nullable=False),
        _now(),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("environment_id", "name"),
    )
    op.create_table(
        "slo_revisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slo_id", sa.Integer, sa.ForeignKey("slos.id"), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("snapshot", sa.JSON, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "artifact_bundles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("environment_id", sa.Integer, env_fk(), nullable=False, index=True),
        sa.Column("result_id", sa.Integer, sa.ForeignKey("analysis_results.id")),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        _now(),
        sa.Column("approved_by", sa.String(200)),
        sa.Column("approved_at", UTCDateTime()),
        sa.UniqueConstraint("environment_id", "version"),
    )
    op.create_table(
        "artifact_files",
        sa.Column(
            "bundle_id", sa.Integer, sa.ForeignKey("artifact_bundles.id"), primary_key=True
        ),
        sa.Column("path", sa.String(500), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("prefix", sa.String(32), nullable=False, unique=True),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        _now(),
        sa.Column("revoked_at", UTCDateTime()),
    )
    op.create_table(
        "role_bindings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("team", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        _now(),
        sa.UniqueConstraint("subject", "team"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False, index=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("target_type", sa.String(50), nullable=False),
        sa.Column("target_id", sa.String(100), nullable=False),
        sa.Column("team", sa.String(100)),
        sa.Column("details", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    bind = op.get_bind()
    for table in (
        "audit_log",
        "role_bindings",
        "api_keys",
        "artifact_files",
        "artifact_bundles",
        "slo_revisions",
        "slos",
        "analysis_results",
        "analysis_jobs",
    ):
        op.drop_table(table)
    if bind.dialect.name == "postgresql":
        op.execute("DROP TABLE journey_stats CASCADE")
        op.execute("DROP FUNCTION IF EXISTS slo_scout_ensure_stats_partition(timestamptz)")
        op.execute("DROP FUNCTION IF EXISTS slo_scout_drop_stats_before(timestamptz)")
    else:
        op.drop_table("journey_stats")
    for table in ("journeys", "environments", "services", "teams"):
        op.drop_table(table)
