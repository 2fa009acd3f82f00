"""Ingest in the audit log: one entry per team whose traffic a batch counted, naming what the
batch created (the team, services, environments, journeys), so each team's admins read it.

A person's upload is audited whenever it counted traces. The system's own writers (the stream's
writer, counting uploads that went quiet) count traffic all day: their batches are audited when
they create something, not for every few hundred traces.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.audit import repository
from slo_scout.control.catalog import repository as catalog
from slo_scout.core.journeys import Journey

SYSTEM = "system:ingest"


async def existing(session: AsyncSession, teams: Mapping[str, str], environment: str) -> set[str]:
    """What of the batch's catalog exists before it is recorded (labels as in ``created``)."""
    found = set()
    for team in set(teams.values()):
        if await catalog.get_team(session, team) is not None:
            found.add(f"team {team}")
    for service in teams:
        known = await catalog.get_service(session, service)
        if known is not None:
            found.add(f"service {service}")
            if await catalog.get_environment(session, known.id, environment) is not None:
                found.add(f"environment {service}/{environment}")
    return found


async def record_batch(
    session: AsyncSession, *, actor: str | None, environment: str, teams: Mapping[str, str],
    before: set[str], traces: Mapping[str, int], new_journeys: Sequence[Journey], now: datetime,
) -> None:
    """``teams``: entry service -> team; ``traces``: entry service -> traces counted."""
    for team in sorted(set(teams.values())):
        services = sorted(s for s, t in teams.items() if t == team)
        labels = [f"team {team}", *(f"service {s}" for s in services),
                  *(f"environment {s}/{environment}" for s in services)]
        created = [label for label in labels if label not in before]
        journeys = sorted(j.name for j in new_journeys if j.entry.service in services)
        counted = sum(traces.get(s, 0) for s in services)
        if not (created or journeys) and (actor is None or not counted):
            continue
        await repository.record(
            session, actor=actor or SYSTEM, action="ingest.record", target_type="environment",
            target_id=environment, team=team, at=now,
            details={"services": services, "traces": counted, "created": created,
                     "new_journeys": journeys},
        )
