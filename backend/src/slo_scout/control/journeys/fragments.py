"""Fragments kept: traces whose root never arrived, per team, environment and top span.

Every writer (API ingest, the stream's writer) adds what a batch saw; counts add and the
samples keep the earliest few, as ``core.journeys.fragments.FragmentStats.merge`` does. A
fragment belongs to the team of its top service when the catalog knows that service, else to the
team the upload named; with neither it is reported in the batch's answer but not kept. Never
commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.catalog import repository as catalog_repo
from slo_scout.core.journeys.fragments import MAX_FRAGMENT_SAMPLES, FragmentStats
from slo_scout.db.dialect import insert_for
from slo_scout.db.models import JourneyFragment, Team


def _at(ns: int) -> datetime:
    return datetime.fromtimestamp(ns // 1_000_000_000, UTC)


async def _team_of(session: AsyncSession, service: str, team: str | None) -> str | None:
    known = await catalog_repo.get_service(session, service)
    if known is not None:
        return (await catalog_repo.team_of_service(session, known.id)).name
    return team


async def record_fragments(
    session: AsyncSession, fragments: Sequence[FragmentStats], *, environment: str,
    team: str | None, now: datetime,
) -> int:
    """Adds a batch's fragments; returns how many fragment groups were kept."""
    kept = 0
    for fragment in fragments:
        team_name = await _team_of(session, fragment.service, team)
        if team_name is None or not fragment.traces:
            continue
        team_row = await catalog_repo.ensure_team(session, team_name, now)
        where = {"team_id": team_row.id, "environment": environment,
                 "service": fragment.service, "operation": fragment.operation}
        # Insert-if-absent, then update the locked row: two writers seeing the same new
        # fragment at once must both add, not fail on the unique constraint.
        first = fragment.samples[0][0] if fragment.samples else fragment.last_start_ns
        await session.execute(
            insert_for(session)(JourneyFragment)
            .values(**where, traces=0, spans=0, samples=[], first_seen=_at(first),
                    last_seen=_at(fragment.last_start_ns))
            .on_conflict_do_nothing())
        row = await session.scalar(
            select(JourneyFragment).filter_by(**where).with_for_update())
        assert row is not None  # inserted above or there already
        row.traces += fragment.traces
        row.spans += fragment.spans
        samples = {(int(start), str(trace_id)) for start, trace_id in row.samples}
        row.samples = [list(s) for s in sorted(samples | set(fragment.samples))
                       [:MAX_FRAGMENT_SAMPLES]]
        row.first_seen = min(row.first_seen, _at(first))
        row.last_seen = max(row.last_seen, _at(fragment.last_start_ns))
        kept += 1
    await session.flush()
    return kept


async def list_fragments(
    session: AsyncSession, *, teams: set[str] | None, service: str | None,
    environment: str | None, limit: int, offset: int,
) -> tuple[list[tuple[str, JourneyFragment]], int]:
    """(team name, fragment row) pairs, most traces first, and how many match."""
    query: Any = select(Team.name, JourneyFragment).join(Team, Team.id == JourneyFragment.team_id)
    if teams is not None:
        query = query.where(Team.name.in_(sorted(teams)))
    if service is not None:
        query = query.where(JourneyFragment.service == service)
    if environment is not None:
        query = query.where(JourneyFragment.environment == environment)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.execute(
        query.order_by(JourneyFragment.traces.desc(), JourneyFragment.service,
                       JourneyFragment.operation, JourneyFragment.id)
        .limit(limit).offset(offset))
    return [(name, row) for name, row in rows.all()], total or 0
