"""Similar journeys: a journey's nearest neighbours in the vector store, across services and
teams, limited to what the caller may see, each with the SLOs its team approved.

Visibility is the catalog's (``visible_environments``): the search itself is filtered to the
services of the teams the caller may read, so a neighbour of another team is never returned,
counted or hinted at, and ``limit`` visible neighbours come back when that many exist. An
approved objective is the last version a reviewer approved (``slo_revisions``, action
``approve``): an SLO edited since, and waiting for review again, still contributes the version
in force; one never approved contributes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.auth.principal import Principal
from slo_scout.control.catalog.service import visible_environments
from slo_scout.control.vectors import JourneyVectors, NearJourney
from slo_scout.core.recommend.similar import ApprovedObjective, SimilarJourney
from slo_scout.core.slis import SliKind
from slo_scout.db.models import JourneyRow, Slo, SloRevision

MAX_LIMIT = 50
OVERFETCH = 10


async def similar_journeys(session: AsyncSession, vectors: JourneyVectors, journey: JourneyRow,
                           principal: Principal | None, limit: int = 5,
                           ) -> list[SimilarJourney]:
    """The ``limit`` journeys nearest to ``journey`` that ``principal`` may see (None: the
    system itself, which sees every team), nearest first, with their approved objectives.

    ``vectors`` is open. Raises ``NotFound`` when ``journey`` has no vector yet and
    ``VectorStoreUnavailable`` when Milvus cannot answer."""
    limit = max(1, min(limit, MAX_LIMIT))
    teams = principal.visible_teams() if principal is not None else None
    every = await visible_environments(session, None, None, None)
    _, _, environment = every[journey.environment_id]
    visible = every if teams is None else {
        env_id: names for env_id, names in every.items() if names[0] in teams}
    env_of = {(svc, env): env_id for env_id, (_, svc, env) in visible.items()}
    services = None if teams is None else sorted({svc for svc, _ in env_of})
    if services == []:
        return []
    # a few more than asked: rows the catalog no longer knows (a journey gone with retention,
    # a CLI run's journeys in the same file) are dropped below, the rest cut to ``limit``
    near: list[NearJourney] = await asyncio.to_thread(
        vectors.nearest_to_journey, environment, journey.key, k=limit + OVERFETCH,
        services=services, everywhere=True)
    # an environment of a visible service the catalog does not know (a stale vector) is skipped
    wanted = [(env_of[(n.service, n.environment)], n) for n in near
              if (n.service, n.environment) in env_of]
    rows = await _journeys(session, [(env_id, n.journey_key) for env_id, n in wanted])
    approved = await approved_objectives(session, [r.id for r in rows.values()])
    similar = []
    for env_id, n in wanted:
        row = rows.get((env_id, n.journey_key))
        if row is None:  # a vector whose journey is gone (retention, a reset database)
            continue
        similar.append(SimilarJourney(
            journey_id=str(row.id), environment=n.environment, service=n.service, name=row.name,
            similarity=round(n.similarity, 6), approved=tuple(approved.get(row.id, ()))))
    return similar[:limit]


async def _journeys(session: AsyncSession, pairs: Sequence[tuple[int, str]],
                    ) -> dict[tuple[int, str], JourneyRow]:
    if not pairs:
        return {}
    rows = await session.scalars(select(JourneyRow).where(
        tuple_(JourneyRow.environment_id, JourneyRow.key).in_(list(pairs))))
    return {(r.environment_id, r.key): r for r in rows}


async def approved_objectives(session: AsyncSession, journey_ids: Sequence[int],
                              ) -> dict[int, list[ApprovedObjective]]:
    """journey id -> the objectives in force (each SLO's last approved version), by SLO id."""
    if not journey_ids:
        return {}
    rows = (await session.execute(
        select(Slo.id, Slo.journey_id, SloRevision.version, SloRevision.snapshot)
        .join(SloRevision, SloRevision.slo_id == Slo.id)
        .where(Slo.journey_id.in_(list(journey_ids)), SloRevision.action == "approve")
        .order_by(Slo.id, SloRevision.version, SloRevision.id))).all()
    last: dict[int, tuple[int, int, dict]] = {}  # type: ignore[type-arg]
    for slo_id, journey_id, version, snapshot in rows:
        last[slo_id] = (journey_id, version, snapshot)  # ordered: the last approval wins
    by_journey: dict[int, list[ApprovedObjective]] = {}
    for slo_id, (journey_id, version, snapshot) in sorted(last.items()):
        threshold = snapshot.get("threshold_seconds")
        by_journey.setdefault(journey_id, []).append(ApprovedObjective(
            slo_id=str(slo_id), version=version, kind=SliKind(snapshot["sli_kind"]),
            objective=float(snapshot["objective"]),
            threshold_s=None if threshold is None else float(threshold)))
    return by_journey
