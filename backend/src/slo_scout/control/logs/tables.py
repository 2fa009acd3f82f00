"""The error log template tables, as SQL sees them: one declaration for every reader and writer.

The streaming catalog job created them (migration 0003) and writes them with its own SQL; the
control layer's writer (``control.logs.repository``), the journey detail
(``control.journeys.log_templates``) and incidents (``control.incidents.repository``) share
these lightweight tables. No ORM model maps them.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

LOG_TEMPLATES = sa.table(
    "log_templates",
    sa.column("id", sa.String),
    sa.column("environment", sa.String),
    sa.column("service", sa.String),
    sa.column("template", sa.Text),
    sa.column("occurrences", sa.BigInteger),
    sa.column("first_seen", sa.DateTime(timezone=True)),
    sa.column("last_seen", sa.DateTime(timezone=True)),
)
LOG_TEMPLATE_TRACES = sa.table(
    "log_template_traces",
    sa.column("template_id", sa.String),
    sa.column("trace_id", sa.String),
    sa.column("seen_at", sa.DateTime(timezone=True)),
)


def utc(moment: datetime) -> datetime:
    # SQLite hands back naive date-times; they were written in UTC
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
