"""Writes the metric catalog and the error log templates to PostgreSQL (migration 0003).

The catalog job commits Kafka offsets after this transaction, so a record may be written twice
after a crash: the metric catalog is a set (a second write changes nothing but ``last_seen``),
trace links are a set too, and only ``log_templates.occurrences`` can count a replayed line
twice; it is a frequency for runbooks, not an SLI.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import psycopg

from slo_scout.control.logs.mining import TemplateCount
from slo_scout_streaming.telemetry_catalog import MetricSeen


class CatalogStore:
    def __init__(self, dsn: str, environment: str) -> None:
        self.dsn, self.environment = dsn, environment
        self.conn: psycopg.Connection[Any] | None = None

    def open(self) -> None:
        self.conn = psycopg.connect(self.dsn, autocommit=False)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()

    def write(self, metrics: Iterable[MetricSeen], templates: dict[str, TemplateCount],
              seen_at: datetime) -> None:
        assert self.conn is not None
        env = self.environment
        with self.conn.transaction(), self.conn.cursor() as cur:
            rows = [(env, m.metric, ",".join(m.label_keys), m.metric_type, m.source, seen_at,
                     seen_at) for m in sorted(set(metrics))]
            if rows:
                # A later typed sighting (OTLP) replaces 'unknown' (remote_write 1.0).
                cur.executemany(
                    "INSERT INTO metric_catalog (environment, metric, label_keys, metric_type, "
                    "source, first_seen, last_seen) VALUES (%s,%s,%s,%s,%s,%s,%s) "
                    "ON CONFLICT (environment, metric, label_keys) DO UPDATE SET "
                    "last_seen = GREATEST(metric_catalog.last_seen, EXCLUDED.last_seen), "
                    "metric_type = CASE WHEN metric_catalog.metric_type = 'unknown' "
                    "THEN EXCLUDED.metric_type ELSE metric_catalog.metric_type END", rows)
            for tid, t in sorted(templates.items()):
                cur.execute(
                    "INSERT INTO log_templates (id, environment, service, template, occurrences, "
                    "first_seen, last_seen) VALUES (%s,%s,%s,%s,%s,%s,%s) "
                    "ON CONFLICT (id) DO UPDATE SET "
                    "occurrences = log_templates.occurrences + EXCLUDED.occurrences, "
                    "last_seen = GREATEST(log_templates.last_seen, EXCLUDED.last_seen)",
                    (tid, env, t.service, t.template, t.occurrences, seen_at, seen_at))
                if t.trace_ids:
                    cur.executemany(
                        "INSERT INTO log_template_traces (template_id, trace_id, seen_at) "
                        "VALUES (%s,%s,%s) ON CONFLICT DO NOTHING",
                        [(tid, trace, seen_at) for trace in sorted(t.trace_ids)])
