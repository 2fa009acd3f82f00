"""What the streaming pipeline learns from metrics and logs: metric catalog and log templates.

- ``metric_catalog``: one row per (environment, metric, label key set) seen on the metrics topic,
  with its type (counter, gauge, histogram, summary; ``unknown`` for remote_write 1.0, which
  carries no types) and the wire format it came in. The SLI generator builds its
  ``detect_family`` input from it instead of asking Prometheus.
- ``log_templates``: error log lines mined into templates (Drain3), per environment and service.
- ``log_template_traces``: which traces an error template occurred in; joined with
  ``stream_trace_ledger`` (trace id -> journey key) it links templates to journeys.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "metric_catalog",
        sa.Column("environment", sa.String(255), nullable=False),
        sa.Column("metric", sa.String(512), nullable=False),
        # Sorted label names joined by commas: one row per distinct label set.
        sa.Column("label_keys", sa.Text(), nullable=False),
        sa.Column("metric_type", sa.String(32), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("first_seen", _TS, nullable=False),
        sa.Column("last_seen", _TS, nullable=False),
        sa.PrimaryKeyConstraint("environment", "metric", "label_keys"),
    )
    op.create_table(
        "log_templates",
        sa.Column("id", sa.String(40), primary_key=True),  # sha1 of environment, service, text
        sa.Column("environment", sa.String(255), nullable=False),
        sa.Column("service", sa.String(255), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("occurrences", sa.BigInteger(), nullable=False),
        sa.Column("first_seen", _TS, nullable=False),
        sa.Column("last_seen", _TS, nullable=False),
    )
    op.create_index("ix_log_templates_env_service", "log_templates", ["environment", "service"])
    op.create_table(
        "log_template_traces",
        sa.Column("template_id", sa.String(40),
                  sa.ForeignKey("log_templates.id", ondelete="CASCADE"), nullable=False),
        sa.Column("trace_id", sa.String(64), nullable=False),
        sa.Column("seen_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("template_id", "trace_id"),
    )
    op.create_index("ix_log_template_traces_trace", "log_template_traces", ["trace_id"])


def downgrade() -> None:
    op.drop_index("ix_log_template_traces_trace", table_name="log_template_traces")
    op.drop_table("log_template_traces")
    op.drop_index("ix_log_templates_env_service", table_name="log_templates")
    op.drop_table("log_templates")
    op.drop_table("metric_catalog")
