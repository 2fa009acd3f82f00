"""SQL for the log templates the streaming catalog job and analysis jobs reading Loki mine
(migration 0003's tables).

``log_templates`` holds one row per (environment name, service, template) with its lifetime
line count and first and last sighting; ``log_template_traces`` the traces each was logged in
and when. A link's trace maps to its structural key through the trace ledger (one primary-key
lookup per link, as ``control.journeys.log_templates`` explains), and the key to its journey
through ``journey_keys``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.logs.tables import LOG_TEMPLATE_TRACES, LOG_TEMPLATES, utc
from slo_scout.db.dialect import insert_for
from slo_scout.db.models import JourneyKey, TraceLedgerEntry

_templates, _links = LOG_TEMPLATES, LOG_TEMPLATE_TRACES


@dataclass(frozen=True, slots=True)
class TemplateRow:
    id: str
    service: str
    template: str
    occurrences: int
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class Link:
    template_id: str
    trace_id: str
    seen_at: datetime
    key: str | None  # the trace's structural key (None: not in the ledger)


async def journey_of_keys(session: AsyncSession, environment_id: int) -> dict[str, int]:
    """Structural key -> the journey of the environment it belongs to now."""
    rows = await session.execute(
        sa.select(JourneyKey.key, JourneyKey.journey_id)
        .where(JourneyKey.environment_id == environment_id, JourneyKey.journey_id.is_not(None))
    )
    return {key: int(journey_id) for key, journey_id in rows.all()}


async def links_between(session: AsyncSession, environment: str, start: datetime, end: datetime
                        ) -> list[Link]:
    """Every trace link of the environment's templates seen in ``[start, end)``."""
    key_of_trace = (
        sa.select(TraceLedgerEntry.journey_key)
        .where(TraceLedgerEntry.trace_id == _links.c.trace_id)
        .scalar_subquery()
    )
    rows = await session.execute(
        sa.select(_links.c.template_id, _links.c.trace_id, _links.c.seen_at, key_of_trace)
        .join(_templates, _templates.c.id == _links.c.template_id)
        .where(_templates.c.environment == environment, _links.c.seen_at >= start,
               _links.c.seen_at < end)
    )
    return [Link(t, trace, utc(seen), key) for t, trace, seen, key in rows.all()]


async def templates(session: AsyncSession, environment: str, *, ids: Sequence[str],
                    service: str | None, start: datetime, end: datetime) -> list[TemplateRow]:
    """The environment's templates named in ``ids``, and those of ``service`` seen in the
    range (a template logged outside any counted trace has no link, but is the service's)."""
    chosen = [_templates.c.id.in_(sorted(set(ids)))] if ids else []
    if service is not None:
        chosen.append(sa.and_(_templates.c.service == service,
                              _templates.c.last_seen >= start, _templates.c.first_seen < end))
    if not chosen:
        return []
    rows = await session.execute(
        sa.select(_templates.c.id, _templates.c.service, _templates.c.template,
                  _templates.c.occurrences, _templates.c.first_seen, _templates.c.last_seen)
        .where(_templates.c.environment == environment, sa.or_(*chosen))
    )
    return [TemplateRow(i, svc, text, int(n), utc(first), utc(last))
            for i, svc, text, n, first, last in rows.all()]


async def store_templates(session: AsyncSession, environment: str,
                          templates: Sequence[TemplateRow], links: Sequence[Link]) -> None:
    """Adds mined templates of ``environment``: a known template's occurrences add up and its
    first and last sightings widen; links are a set (a link seen before keeps its time), so a
    window read twice links nothing twice. Never commits."""
    if templates:
        insert = insert_for(session)(_templates)
        statement = insert.on_conflict_do_update(
            index_elements=["id"],
            set_={
                "occurrences": _templates.c.occurrences + insert.excluded.occurrences,
                "first_seen": sa.case(
                    (insert.excluded.first_seen < _templates.c.first_seen,
                     insert.excluded.first_seen), else_=_templates.c.first_seen),
                "last_seen": sa.case(
                    (insert.excluded.last_seen > _templates.c.last_seen,
                     insert.excluded.last_seen), else_=_templates.c.last_seen),
            })
        await session.execute(statement, [
            {"id": t.id, "environment": environment, "service": t.service,
             "template": t.template, "occurrences": t.occurrences, "first_seen": t.first_seen,
             "last_seen": t.last_seen} for t in sorted(templates, key=lambda t: t.id)])
    if links:
        await session.execute(
            insert_for(session)(_links).on_conflict_do_nothing(
                index_elements=["template_id", "trace_id"]),
            [{"template_id": link.template_id, "trace_id": link.trace_id,
              "seen_at": link.seen_at}
             for link in sorted(links, key=lambda k: (k.template_id, k.trace_id))])
