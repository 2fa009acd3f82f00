"""One journey model for every runtime: per-key statistics, one trace ledger, pending spans.

- ``journey_keys``: one row per (environment, structural key), the fingerprint before folding,
  with the key's mergeable summary (``core.journeys.keystats_codec``). Folding optional steps,
  naming, services, edges and the critical path are computed from all keys of an environment
  (``control.journeys.merge``); ``journeys`` and ``journey_stats`` hold that folded view.
- ``journey_key_stats``: each key's minutes, so the folded series can be rebuilt exactly when a
  key joins or leaves a journey.
- ``trace_ledger``: every trace counted, by id, whatever path it came by (API ingest or the
  stream): counting is exactly once. It replaces the stream's own ``stream_trace_ledger``,
  whose rows are carried over.
- ``pending_spans``: spans of traces uploaded through the API that are not yet complete (more
  of the trace may come in the next upload); they wait, bounded, before being classified.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "journey_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("environment_id", sa.Integer, sa.ForeignKey("environments.id"), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("journey_id", sa.Integer,
                  sa.ForeignKey("journeys.id", ondelete="SET NULL"), nullable=True),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("requests", sa.BigInteger, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.UniqueConstraint("environment_id", "key"),
    )
    op.create_index("ix_journey_keys_journey_id", "journey_keys", ["journey_id"])
    op.create_table(
        "journey_key_stats",
        sa.Column("key_id", sa.Integer,
                  sa.ForeignKey("journey_keys.id", ondelete="CASCADE"), nullable=False),
        sa.Column("minute", _TS, nullable=False),
        sa.Column("requests", sa.BigInteger, nullable=False),
        sa.Column("errors", sa.BigInteger, nullable=False),
        sa.Column("latency_sketch", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("key_id", "minute"),
    )
    op.create_index("ix_journey_key_stats_minute", "journey_key_stats", ["minute"])
    op.create_table(
        "trace_ledger",
        sa.Column("trace_id", sa.String(64), primary_key=True),
        sa.Column("journey_key", sa.String(64), nullable=True),  # null: a fragment
        sa.Column("minute", _TS, nullable=False),
        sa.Column("recorded_at", _TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_trace_ledger_minute", "trace_ledger", ["minute"])
    bind = op.get_bind()
    if sa.inspect(bind).has_table("stream_trace_ledger"):
        op.execute("INSERT INTO trace_ledger (trace_id, journey_key, minute, recorded_at) "
                   "SELECT trace_id, journey_key, minute, recorded_at FROM stream_trace_ledger")
        op.drop_table("stream_trace_ledger")
    op.create_table(
        "pending_spans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("team", sa.String(100), nullable=True),
        sa.Column("environment", sa.String(100), nullable=False),
        sa.Column("trace_id", sa.String(64), nullable=False),
        sa.Column("spans", sa.Text, nullable=False),  # core.telemetry.wire fragment
        sa.Column("span_count", sa.Integer, nullable=False),
        sa.Column("last_end_ns", sa.BigInteger, nullable=False),
        sa.Column("received_at", _TS, nullable=False),
    )
    op.create_index("ix_pending_spans_trace_id", "pending_spans", ["trace_id"])
    op.create_index("ix_pending_spans_received_at", "pending_spans", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_pending_spans_received_at", table_name="pending_spans")
    op.drop_index("ix_pending_spans_trace_id", table_name="pending_spans")
    op.drop_table("pending_spans")
    op.drop_index("ix_trace_ledger_minute", table_name="trace_ledger")
    op.drop_table("trace_ledger")
    op.drop_index("ix_journey_key_stats_minute", table_name="journey_key_stats")
    op.drop_table("journey_key_stats")
    op.drop_index("ix_journey_keys_journey_id", table_name="journey_keys")
    op.drop_table("journey_keys")
