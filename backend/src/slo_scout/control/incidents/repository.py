"""SQL for an incident: a journey's stored minutes, its keys' step minutes, its SLOs.

The minutes' reads are bounded by one journey and a time range on primary keys
(``journey_stats`` by (journey, minute), ``journey_key_stats`` by (key, minute)), so their cost
does not grow with the number of journeys stored; the error templates' read goes over the
environment's template links (error traces only), as the journey detail's does. Never
commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.logs.tables import LOG_TEMPLATE_TRACES, LOG_TEMPLATES
from slo_scout.db.models import JourneyKey, JourneyKeyStat, JourneyStat, Slo, TraceLedgerEntry


async def stored_range(session: AsyncSession, journey_id: int
                       ) -> tuple[datetime, datetime] | None:
    """The first and the last stored minute of the journey (None: no minute stored)."""
    row = (await session.execute(
        select(func.min(JourneyStat.minute), func.max(JourneyStat.minute))
        .where(JourneyStat.journey_id == journey_id)
    )).one()
    return None if row[0] is None else (row[0], row[1])


async def journey_minutes(session: AsyncSession, journey_id: int, start: datetime,
                          end: datetime) -> list[tuple[datetime, int, int, str]]:
    """(minute, requests, errors, latency sketch) of the journey in ``[start, end)``."""
    rows = await session.execute(
        select(JourneyStat.minute, JourneyStat.requests, JourneyStat.errors,
               JourneyStat.latency_sketch)
        .where(JourneyStat.journey_id == journey_id, JourneyStat.minute >= start,
               JourneyStat.minute < end)
        .order_by(JourneyStat.minute)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


async def requests_between(session: AsyncSession, journey_id: int, start: datetime,
                           end: datetime) -> tuple[int, datetime | None]:
    """The journey's requests in ``[start, end)`` and its first stored minute in that range."""
    row = (await session.execute(
        select(func.coalesce(func.sum(JourneyStat.requests), 0), func.min(JourneyStat.minute))
        .where(JourneyStat.journey_id == journey_id, JourneyStat.minute >= start,
               JourneyStat.minute < end)
    )).one()
    return int(row[0]), row[1]


async def step_minutes(session: AsyncSession, journey_id: int, start: datetime,
                       end: datetime) -> list[tuple[datetime, int, str | None]]:
    """(minute, requests, steps) of every key that folds into the journey now, in
    ``[start, end)``: the keys' minutes add up to the journey's (``control.journeys.merge``)."""
    rows = await session.execute(
        select(JourneyKeyStat.minute, JourneyKeyStat.requests, JourneyKeyStat.steps)
        .join(JourneyKey, JourneyKey.id == JourneyKeyStat.key_id)
        .where(JourneyKey.journey_id == journey_id, JourneyKeyStat.minute >= start,
               JourneyKeyStat.minute < end)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


async def slos_of_journey(session: AsyncSession, journey_id: int) -> list[Slo]:
    """The journey's SLOs that are not rejected (proposed ones burn as well)."""
    rows = await session.scalars(
        select(Slo).where(Slo.journey_id == journey_id, Slo.status != "rejected")
        .order_by(Slo.name)
    )
    return list(rows)


_templates, _links = LOG_TEMPLATES, LOG_TEMPLATE_TRACES


async def error_template_traces(session: AsyncSession, journey_id: int, environment: str,
                                start: datetime, end: datetime
                                ) -> list[tuple[str, str, str, datetime]]:
    """(service, template, trace id, minute) of the error templates logged in the journey's
    traces whose minute lies in ``[start, end)``: the links of the environment's templates,
    each trace's minute and key from the ledger (its key (trace id, minute)), kept when the key
    folds into the journey. Driven from the links, error traces only, as the journey detail's."""
    keys = select(JourneyKey.key).where(JourneyKey.journey_id == journey_id)
    rows = await session.execute(
        select(_templates.c.service, _templates.c.template, _links.c.trace_id,
               TraceLedgerEntry.minute)
        .select_from(_links)
        .join(_templates, _templates.c.id == _links.c.template_id)
        .join(TraceLedgerEntry, TraceLedgerEntry.trace_id == _links.c.trace_id)
        .where(_templates.c.environment == environment, TraceLedgerEntry.minute >= start,
               TraceLedgerEntry.minute < end, TraceLedgerEntry.journey_key.in_(keys))
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]
