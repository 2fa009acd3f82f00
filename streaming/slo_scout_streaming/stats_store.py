"""Writes completed traces to the control plane's tables, exactly once per trace.

The journey job emits one :class:`TraceOutcome` per completed trace. :func:`write_batch` stores a
batch in ONE PostgreSQL transaction:

1. ``stream_trace_ledger`` gets the batch's trace ids with ``ON CONFLICT DO NOTHING RETURNING``:
   only the ids inserted now are *new*; a replay after a restore from checkpoint finds its ids
   already there and adds nothing.
2. Only the new traces are aggregated per (journey, minute) and merged into ``journey_stats``
   (requests and errors added, latency sketches merged) and into the journey's totals.

Because the ledger insert and the stats update commit together, a crash either stores both or
neither, and a trace is counted at most once; the job's checkpointed state (see
``functions``) guarantees it is written at least once. docs/streaming.md has the argument.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from ddsketch import DDSketch

from slo_scout.core.journeys.model import new_sketch
from slo_scout.core.journeys.sketch_codec import decode_sketch, encode_sketch

LEDGER_DDL = """
CREATE TABLE IF NOT EXISTS stream_trace_ledger (
    trace_id text PRIMARY KEY,
    journey_key text NOT NULL,
    minute timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
)"""


@dataclass(frozen=True, slots=True)
class TraceOutcome:
    trace_id: str
    journey_key: str
    minute: int  # Unix seconds, start of the minute
    error: bool
    latency_s: float
    spans: int

    def dumps(self) -> str:
        return json.dumps([self.trace_id, self.journey_key, self.minute, self.error,
                           self.latency_s, self.spans], separators=(",", ":"))

    @classmethod
    def loads(cls, text: str) -> TraceOutcome:
        t, k, m, e, lat, s = json.loads(text)
        return cls(t, k, int(m), bool(e), float(lat), int(s))


@dataclass(frozen=True, slots=True)
class JourneyInfo:
    """What the journeys table and the embedding job need about a journey first seen."""

    key: str
    name: str
    fingerprint: str
    entry_service: str
    entry_operation: str
    protocol: str
    span_name: str
    method: str | None
    services: list[str]
    edges: list[list[Any]]

    def dumps(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True)

    @classmethod
    def loads(cls, text: str) -> JourneyInfo:
        return cls(**json.loads(text))


def _ts(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class StatsStore:
    def __init__(self, dsn: str, team: str, environment: str) -> None:
        self.dsn = dsn
        self.team = team
        self.environment = environment
        self.conn: psycopg.Connection[Any] | None = None
        self._env_ids: dict[str, int] = {}
        self._journey_ids: dict[str, int] = {}

    def open(self) -> None:
        self.conn = psycopg.connect(self.dsn, autocommit=False)
        with self.conn.transaction():
            self.conn.execute(LEDGER_DDL)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()

    def _environment_id(self, cur: psycopg.Cursor[Any], service: str) -> int:
        if service in self._env_ids:
            return self._env_ids[service]
        now = datetime.now(UTC)
        cur.execute("INSERT INTO teams (name, created_at) VALUES (%s, %s) "
                    "ON CONFLICT (name) DO NOTHING", (self.team, now))
        cur.execute("INSERT INTO services (team_id, name, created_at) "
                    "SELECT id, %s, %s FROM teams WHERE name = %s "
                    "ON CONFLICT (name) DO NOTHING", (service, now, self.team))
        cur.execute("INSERT INTO environments (service_id, name, created_at) "
                    "SELECT id, %s, %s FROM services WHERE name = %s "
                    "ON CONFLICT (service_id, name) DO NOTHING", (self.environment, now, service))
        cur.execute("SELECT e.id FROM environments e JOIN services s ON s.id = e.service_id "
                    "WHERE s.name = %s AND e.name = %s", (service, self.environment))
        row = cur.fetchone()
        assert row is not None
        self._env_ids[service] = int(row[0])
        return self._env_ids[service]

    def _journey_id(self, cur: psycopg.Cursor[Any], info: JourneyInfo,
                    first_seen: datetime) -> tuple[int, bool]:
        env_id = self._environment_id(cur, info.entry_service)
        cur.execute(
            "INSERT INTO journeys (environment_id, key, name, entry_service, entry_operation, "
            "protocol, span_name, method, fingerprint, services, edges, critical_path, "
            "sample_trace_ids, requests, errors, latency_sketch, first_seen, last_seen) "
            "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,'[]','[]',0,0,%s,%s,%s) "
            "ON CONFLICT (environment_id, key) DO NOTHING RETURNING id",
            (env_id, info.key, info.name, info.entry_service, info.entry_operation,
             info.protocol, info.span_name, info.method, info.fingerprint,
             json.dumps(info.services), json.dumps(info.edges),
             encode_sketch(new_sketch()), first_seen, first_seen))
        row = cur.fetchone()
        if row is not None:
            return int(row[0]), True
        cur.execute("SELECT id FROM journeys WHERE environment_id = %s AND key = %s",
                    (env_id, info.key))
        found = cur.fetchone()
        assert found is not None
        return int(found[0]), False

    def write_batch(self, outcomes: list[TraceOutcome],
                    infos: dict[str, JourneyInfo]) -> list[JourneyInfo]:
        """Stores a batch; returns the journeys inserted for the first time.

        Several writers (one per subtask) may run at once: each journey's row is locked before
        its minutes are touched, and journeys are visited in key order, so two batches that
        share journeys serialise on them and never deadlock.
        """
        assert self.conn is not None
        created: list[JourneyInfo] = []
        with self.conn.transaction(), self.conn.cursor() as cur:
            fresh = self._claim(cur, outcomes)
            groups: dict[str, dict[int, list[TraceOutcome]]] = {}
            for o in fresh:
                groups.setdefault(o.journey_key, {}).setdefault(o.minute, []).append(o)
            for key in sorted(groups):
                info = infos.get(key)
                if info is None:
                    raise KeyError(f"no description of journey {key} in the batch")
                minutes = groups[key]
                journey_id, new = self._journey_id(cur, info, _ts(min(minutes)))
                if new:
                    created.append(info)
                self._add(cur, journey_id, minutes)
        return created

    def _claim(self, cur: psycopg.Cursor[Any], outcomes: list[TraceOutcome]) -> list[TraceOutcome]:
        if not outcomes:
            return []
        by_id: dict[str, TraceOutcome] = {}
        for o in outcomes:
            # A trace id met twice in one batch (spans later than the session gap) keeps the
            # first session, as the ledger does across batches.
            by_id.setdefault(o.trace_id, o)
        cur.execute(
            "INSERT INTO stream_trace_ledger (trace_id, journey_key, minute) "
            "SELECT * FROM unnest(%s::text[], %s::text[], %s::timestamptz[]) "
            "ON CONFLICT (trace_id) DO NOTHING RETURNING trace_id",
            ([o.trace_id for o in by_id.values()], [o.journey_key for o in by_id.values()],
             [_ts(o.minute) for o in by_id.values()]))
        return [by_id[row[0]] for row in cur.fetchall()]

    def _add(self, cur: psycopg.Cursor[Any], journey_id: int,
             minutes: dict[int, list[TraceOutcome]]) -> None:
        cur.execute("SELECT latency_sketch FROM journeys WHERE id = %s FOR UPDATE", (journey_id,))
        total = decode_sketch(cur.fetchone()[0])  # type: ignore[index]
        requests = errors = 0
        for minute in sorted(minutes):
            items = minutes[minute]
            sketch: DDSketch = new_sketch()
            for o in items:
                sketch.add(o.latency_s)
            failed = sum(o.error for o in items)
            self._add_minute(cur, journey_id, _ts(minute), len(items), failed, sketch)
            total.merge(sketch)
            requests += len(items)
            errors += failed
        at = [_ts(min(minutes)), _ts(max(minutes))]
        cur.execute("UPDATE journeys SET requests = requests + %s, errors = errors + %s, "
                    "latency_sketch = %s, last_seen = GREATEST(last_seen, %s), "
                    "first_seen = LEAST(first_seen, %s) WHERE id = %s",
                    (requests, errors, encode_sketch(total), at[1], at[0], journey_id))

    def _add_minute(self, cur: psycopg.Cursor[Any], journey_id: int, at: datetime,
                    requests: int, errors: int, sketch: DDSketch) -> None:
        # The journey's row lock (taken by the caller) serialises writers of its minutes.
        cur.execute("SELECT slo_scout_ensure_stats_partition(%s)", (at,))
        cur.execute("SELECT latency_sketch FROM journey_stats WHERE journey_id = %s AND "
                    "minute = %s", (journey_id, at))
        row = cur.fetchone()
        merged = sketch
        if row is not None:
            merged = decode_sketch(row[0])
            merged.merge(sketch)
        cur.execute(
            "INSERT INTO journey_stats (journey_id, minute, requests, errors, latency_sketch) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (journey_id, minute) DO UPDATE SET "
            "requests = journey_stats.requests + EXCLUDED.requests, "
            "errors = journey_stats.errors + EXCLUDED.errors, "
            "latency_sketch = EXCLUDED.latency_sketch",
            (journey_id, at, requests, errors, encode_sketch(merged)))
