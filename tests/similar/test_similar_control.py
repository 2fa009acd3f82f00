"""control.journeys.similar.similar_journeys, the function analysis uses as evidence, on SQLite
and PostgreSQL: the core's SimilarJourney values, limited to what the principal may see."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

pytest.importorskip("pymilvus", reason="pymilvus not installed (the 'streaming' extra)")
pytest.importorskip("milvus_lite", reason="milvus-lite not installed")
pytest.importorskip("torch", reason="torch not installed (the 'embeddings' extra)")

from tests.fixtures.control_plane import database_url, migrated_url  # noqa: F401
from tests.fixtures.postgres import postgres_server  # noqa: F401
from tests.fixtures.similar import (
    CHECKOUT,
    COLLECTION,
    HEALTH,
    PAY_CHECKOUT,
    SECRET_CHECKOUT,
    embed,
    seed_team,
)

from slo_scout.control.auth.principal import Principal
from slo_scout.control.journeys import repository
from slo_scout.control.journeys.similar import similar_journeys
from slo_scout.control.vectors import JourneyVectors
from slo_scout.core.recommend.similar import ApprovedObjective, SimilarJourney
from slo_scout.core.slis import SliKind
from slo_scout.db.engine import create_engine, session_factory
from slo_scout.db.models import Slo, SloRevision

AT = datetime(2026, 11, 2, tzinfo=UTC)


async def _approve(session, journey_id: int, environment_id: int) -> int:  # type: ignore[no-untyped-def]
    """An SLO approved at version 1 and approved again at version 2 (the later one wins)."""
    slo = Slo(environment_id=environment_id, journey_id=journey_id, name="pay-latency",
              sli_kind="latency", objective=99.5, threshold_seconds=0.4, window_days=28,
              description="", status="approved", version=2, source="manual",
              last_changed_by="key:a", created_at=AT, updated_at=AT)
    session.add(slo)
    await session.flush()
    snap = {"name": "pay-latency", "journey_id": journey_id, "sli_kind": "latency",
            "window_days": 28, "description": "", "status": "approved"}
    for version, objective, action in ((1, 99.0, "create"), (1, 99.0, "approve"),
                                       (2, 99.5, "edit"), (2, 99.5, "approve")):
        session.add(SloRevision(slo_id=slo.id, version=version, action=action, actor="key:a",
                                comment=None, at=AT, snapshot={
                                    **snap, "objective": objective, "threshold_seconds": 0.4}))
    await session.flush()
    return slo.id


def test_similar_journeys_gives_core_values_within_what_the_principal_sees(
    migrated_url: str, tmp_path: Path,  # noqa: F811
) -> None:
    milvus = str(tmp_path / "milvus.db")
    envs = [seed_team(migrated_url, "shop", "shop-frontend", [CHECKOUT, HEALTH]),
            seed_team(migrated_url, "pay", "pay-web", [PAY_CHECKOUT]),
            seed_team(migrated_url, "vault", "secret-store", [SECRET_CHECKOUT])]
    embed(migrated_url, milvus, envs)

    async def go() -> None:
        engine = create_engine(migrated_url)
        try:
            with JourneyVectors(milvus, COLLECTION) as vectors:
                async with session_factory(engine)() as session:
                    checkout = await repository.get_by_key(session, envs[0], "k-checkout")
                    pay = await repository.get_by_key(session, envs[1], "k-pay-checkout")
                    assert checkout is not None and pay is not None
                    slo_id = await _approve(session, pay.id, envs[1])
                    await session.commit()
                    system = await similar_journeys(session, vectors, checkout, None, limit=3)
                    shop_and_pay = await similar_journeys(
                        session, vectors, checkout,
                        Principal("key:x", {"shop": "viewer", "pay": "viewer"}), limit=3)
                    shop = await similar_journeys(
                        session, vectors, checkout, Principal("key:y", {"shop": "viewer"}))
                    nobody = await similar_journeys(
                        session, vectors, checkout, Principal("key:z", {"ghosts": "viewer"}))
        finally:
            await engine.dispose()

        assert all(isinstance(s, SimilarJourney) for s in system)
        assert {s.service for s in system[:2]} == {"pay-web", "secret-store"}
        assert system[2].service == "shop-frontend" and system[2].name.startswith("healthz")
        assert [s.service for s in shop_and_pay] == ["pay-web", "shop-frontend"]
        [near, health] = shop_and_pay
        assert near == SimilarJourney(
            journey_id=str(pay.id), environment="prod", service="pay-web", name=pay.name,
            similarity=near.similarity, approved=(ApprovedObjective(
                slo_id=str(slo_id), version=2, kind=SliKind.LATENCY, objective=99.5,
                threshold_s=0.4),))
        assert 0.5 < near.similarity <= 1.0 and health.similarity < near.similarity
        assert [s.service for s in shop] == ["shop-frontend"]
        assert nobody == []

    asyncio.run(go())


def test_an_analysis_looks_up_neighbours_of_its_own_team_only(
    migrated_url: str, tmp_path: Path,  # noqa: F811
) -> None:
    """control.analysis.neighbours, what a job's provisional drafts start from: the analysed
    team's journeys only (its result is that team's to read), and no store is no neighbours."""
    from slo_scout.control.analysis.neighbours import Neighbours

    milvus = str(tmp_path / "milvus.db")
    envs = [seed_team(migrated_url, "shop", "shop-frontend", [CHECKOUT, HEALTH]),
            seed_team(migrated_url, "pay", "pay-web", [PAY_CHECKOUT])]
    embed(migrated_url, milvus, envs)

    async def go() -> None:
        engine = create_engine(migrated_url)
        lookup = Neighbours(milvus, COLLECTION)
        try:
            async with session_factory(engine)() as session:
                checkout = await repository.get_by_key(session, envs[0], "k-checkout")
                pay = await repository.get_by_key(session, envs[1], "k-pay-checkout")
                assert checkout is not None and pay is not None
                await _approve(session, pay.id, envs[1])
                await session.commit()
                shop = await lookup.of(session, envs[0], [checkout])
                nowhere = await Neighbours(str(tmp_path / "none.db"), COLLECTION).of(
                    session, envs[0], [checkout])
        finally:
            lookup.close()
            await engine.dispose()
        # the pay team's checkout is nearer, with an approved SLO, and still never offered
        assert {n.service for n in shop["k-checkout"]} == {"shop-frontend"}
        assert nowhere == {}

    asyncio.run(go())
