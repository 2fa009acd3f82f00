"""history.steps on SQLite and PostgreSQL: each step's counts, p99 and slow requests are what
decoding every stored minute's sketch and merging them (DDSketch.merge) gives, bit for bit,
with latency read only when asked for; and a band kept for its values is never served for
minutes stored since."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import pytest
from ddsketch import DDSketch
from fastapi.testclient import TestClient
from tests.api.conftest import api_settings, client  # noqa: F401
from tests.fixtures.control_plane import (  # noqa: F401
    database_url,
    journey,
    migrated_url,
    seed_keys,
)
from tests.fixtures.forecast_history import BURST_ERRORS, NOW, REQUESTS, seed_history
from tests.fixtures.postgres import postgres_server  # noqa: F401

from slo_scout.control.catalog.service import ensure_environment
from slo_scout.control.forecast.history import Step, steps
from slo_scout.control.journeys import repository
from slo_scout.core.journeys.model import new_sketch, quantile
from slo_scout.core.journeys.sketch_codec import decode_sketch, encode_sketch
from slo_scout.core.recommend.history import count_at_most
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.db.models import JourneyStat

START = NOW - timedelta(hours=12)
STEP = timedelta(minutes=15)
THRESHOLD_S = 0.25


def _minutes() -> list[tuple[int, int, int, str]]:
    """(minute offset, requests, errors, sketch): spread latencies (far apart keys, so the
    merged bins move their offset), empty sketches, steps with one minute, many or none."""
    rng = random.Random(17)
    out = []
    for m in range(12 * 60):
        if rng.random() < 0.4 or 300 <= m < 345:  # gaps, and a step wholly empty
            continue
        n = rng.choice([0, 1, 3, 40])
        sketch = new_sketch()
        for _ in range(n):
            sketch.add(rng.choice([rng.uniform(0.001, 0.01), rng.uniform(0.1, 0.5),
                                   rng.uniform(2, 30), 0.0]))
        out.append((m, n, rng.randint(0, n), encode_sketch(sketch)))
    # a step whose only minutes hold requests but empty sketches
    out = [row for row in out if not 600 <= row[0] < 615] + [(601, 5, 1, encode_sketch(
        new_sketch())), (607, 2, 0, encode_sketch(new_sketch()))]
    return sorted(out)


def _reference(rows: list[tuple[int, int, int, str]]) -> list[Step]:
    """The former reading: every minute decoded, merged into its step's sketch."""
    count = int(timedelta(hours=12) / STEP)
    requests, errors = [0] * count, [0] * count
    sketches: dict[int, DDSketch] = {}
    for m, n, e, text in rows:
        i = int(timedelta(minutes=m) / STEP)
        requests[i] += n
        errors[i] += e
        decoded = decode_sketch(text)
        if i in sketches:
            sketches[i].merge(decoded)
        else:
            sketches[i] = decoded
    out = []
    for i in range(count):
        sketch = sketches.get(i)
        slow = 0
        if requests[i] and sketch is not None:
            slow = max(0, requests[i] - round(count_at_most(sketch, THRESHOLD_S)))
        out.append(Step(START + i * STEP, requests[i], errors[i], slow,
                        quantile(sketch, 0.99) if sketch is not None and sketch.count > 0
                        else None))
    return out


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_steps_equal_decoding_and_merging_every_minute(migrated_url: str  # noqa: F811
                                                       ) -> None:
    rows = _minutes()

    async def go() -> tuple[list[Step], list[Step]]:
        engine = create_engine(migrated_url)
        try:
            async with session_factory(engine)() as session:
                _, _, env = await ensure_environment(session, team="shop",
                                                     service="shop-frontend",
                                                     environment="prod", now=NOW)
                # the key's own minutes lie a month earlier, outside the range read here
                await seed_keys(session, env.id,
                                [journey(start=datetime(2026, 10, 1, tzinfo=UTC))], NOW)
                [row] = await repository.journeys_of_environment(session, env.id)
                minutes = [START + timedelta(minutes=m) for m, *_ in rows]
                await repository.ensure_partitions(session, minutes)
                session.add_all(JourneyStat(journey_id=row.id, minute=minute, requests=n,
                                            errors=e, latency_sketch=text)
                                for minute, (_, n, e, text) in zip(minutes, rows, strict=True))
                await session.commit()
                full = await steps(session, row.id, START, NOW, STEP, threshold_s=THRESHOLD_S)
                counts = await steps(session, row.id, START, NOW, STEP, latency=False)
                return full, counts
        finally:
            await engine.dispose()

    full, counts = asyncio.run(go())
    expected = _reference(rows)
    assert full == expected
    assert any(s.p99_s is not None and s.p99_s > 2 for s in full)  # the far keys merged
    assert any(s.requests and s.p99_s is None and s.slow == s.requests for s in full)
    assert [(s.start, s.requests, s.errors) for s in counts] == [
        (s.start, s.requests, s.errors) for s in expected]
    assert all(s.p99_s is None and s.slow == 0 for s in counts)


def _store_minute(url: str, journey_id: int, minute: datetime, requests: int, errors: int
                  ) -> None:
    async def go() -> None:
        engine = create_engine(url)
        try:
            async with session_factory(engine)() as session:
                session.add(JourneyStat(journey_id=journey_id, minute=minute,
                                        requests=requests, errors=errors,
                                        latency_sketch=encode_sketch(new_sketch())))
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(go())


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_kept_fit_never_outlives_its_minutes(client: TestClient, migrated_url: str  # noqa: F811
                                               ) -> None:
    """Asked twice, the same band; a minute stored in between (a second burst) is in the next
    answer: fits are kept by their values, so new minutes are a new fit."""
    journey_id = seed_history(migrated_url)
    params = {"start": "2026-11-01T00:00:00Z", "end": "2026-11-02T00:00:00Z",
              "history_days": 6}
    url = f"/api/v1/journeys/{journey_id}/anomalies"
    first = client.get(url, params=params).json()["slis"][0]
    assert client.get(url, params=params).json()["slis"][0] == first
    assert [a["start"][:13] for a in first["anomalies"]] == ["2026-11-01T14"]
    _store_minute(migrated_url, journey_id, datetime(2026, 11, 1, 20, 30, tzinfo=UTC),
                  REQUESTS, BURST_ERRORS)
    again = client.get(url, params=params).json()["slis"][0]
    assert [a["start"][:13] for a in again["anomalies"]] == ["2026-11-01T14", "2026-11-01T20"]
