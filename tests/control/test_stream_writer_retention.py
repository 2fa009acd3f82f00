"""The journey job's writer refuses traces older than the retention, as API ingest does (issue
11): counted and logged, never stored, the batch's other traces stored as ever."""

from __future__ import annotations

import copy
import logging
import time

import psycopg
import pytest
from slo_scout_streaming.stats_store import StatsStore
from tests.control.conftest import psycopg_dsn

from slo_scout.control.journeys.recording import TraceBatch
from slo_scout.core.journeys import Trace, assemble
from slo_scout.core.simulate import DEFAULT_SHOP, Simulation, encode, scenario_from_dict
from slo_scout.core.telemetry import decode_stream


def _traces(start_s: float, seed: int, count: int) -> list[Trace]:
    doc = copy.deepcopy(DEFAULT_SHOP)
    sim = Simulation(scenario_from_dict(doc), seed=seed, traces=count, start_s=start_s)
    by_id: dict[str, list] = {}  # type: ignore[type-arg]
    chunks = encode(sim.batches(512), sim.resources, "otlp-proto", "delimited")
    for batch in decode_stream(chunks, source="shop"):
        for span in batch:
            by_id.setdefault(span.trace_id, []).append(span)
    return [assemble(trace_id, spans) for trace_id, spans in by_id.items()]


def test_the_stream_writer_refuses_traces_older_than_the_retention(
    pg_url: str, caplog: pytest.LogCaptureFixture,
) -> None:
    old = _traces(1_700_000_000, seed=3, count=40)  # November 2023
    recent = _traces(time.time() - 3600, seed=4, count=60)  # an hour ago
    traces = [*old, *recent]
    batch = TraceBatch()
    for trace in traces:
        batch.add(trace)
    dsn = psycopg_dsn(pg_url)
    store = StatsStore(dsn, "shop", "production", retention_days=90)
    store.open()
    try:
        with caplog.at_level(logging.WARNING, logger="slo_scout_streaming.stats_store"):
            store.submit(batch, lambda ids: [t for t in traces if t.trace_id in ids]).result()
    finally:
        store.close()
    assert store.refused == len(old)
    [warning] = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert f"refused {len(old)} trace(s) older than the retention" in warning
    assert old[0].trace_id in warning or old[1].trace_id in warning or old[2].trace_id in warning
    with psycopg.connect(dsn) as conn:
        ledger = {r[0] for r in conn.execute("SELECT trace_id FROM trace_ledger")}
        [(requests, oldest)] = conn.execute(
            "SELECT sum(s.requests), min(s.minute) FROM journey_stats s").fetchall()
    assert ledger == {t.trace_id for t in recent}
    assert requests == sum(1 for t in recent if not t.fragment)
    assert oldest.timestamp() > time.time() - 2 * 3600
