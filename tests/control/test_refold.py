"""Folding moves keys between journeys as traffic arrives; the stored view follows exactly.

The opaque shop's optional steps (recommendations on a product page, ads on the home page) make
keys that fold into a base key. Stored in two batches, the optional-step traffic first: after
the first batch those keys are journeys of their own (their base is not there yet); after the
second they fold into their bases, their journeys go, and the bases' minutes are rebuilt from
every key's minutes.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import func, select
from tests.fixtures.shops import opaque_shop_traces

from slo_scout.control.journeys.recording import record_traces
from slo_scout.core.journeys import JourneyCatalog
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.db.models import JourneyKey, JourneyRow, JourneyStat

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def test_keys_that_fold_later_move_with_their_statistics(pg_url: str) -> None:
    traces = opaque_shop_traces(seed=3, traces=1_500)
    one_pass = JourneyCatalog()
    key_of = {t.trace_id: one_pass.add(t) for t in traces}
    folded = {k for k in key_of.values() if k and one_pass.resolve(k) != k}
    assert folded, "the opaque shop has optional steps"
    first = [t for t in traces if key_of[t.trace_id] in folded]
    second = [t for t in traces if key_of[t.trace_id] not in folded]
    expected = {j.id: j.requests for j in one_pass.journeys()}

    async def scenario() -> None:
        engine = create_engine(pg_url)
        sessions = session_factory(engine)
        try:
            async with sessions() as session:
                await record_traces(session, first, environment="prod", team="shop", now=NOW)
                await session.commit()
                alone = set(await session.scalars(select(JourneyRow.key)))
                assert folded <= alone  # no base yet: each is a journey of its own
            async with sessions() as session:
                await record_traces(session, second, environment="prod", team="shop", now=NOW)
                await session.commit()
            async with sessions() as session:
                rows = list(await session.scalars(select(JourneyRow)))
                assert {r.key: r.requests for r in rows} == expected
                minutes = dict((await session.execute(
                    select(JourneyStat.journey_id, func.sum(JourneyStat.requests))
                    .group_by(JourneyStat.journey_id))).all())
                assert {r.key: minutes[r.id] for r in rows} == expected
                owners = set(await session.scalars(select(JourneyKey.journey_id)))
                assert owners == {r.id for r in rows}
        finally:
            await engine.dispose()

    asyncio.run(scenario())
