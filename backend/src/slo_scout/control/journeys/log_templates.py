"""The error log templates logged in a journey's traces: its detail and its runbooks show them.

The streaming catalog job mines error log lines into templates (``log_templates``, per
environment name and service) and links each to the traces it was logged in
(``log_template_traces``, a set of (template, trace id)). The trace ledger maps every counted
trace to its structural key, and ``journey_keys`` maps a key to the folded journey it belongs to
now, so the link follows folding as traffic arrives:

    log_template_traces ⨝ log_templates ⨝ trace_ledger (trace id -> key)
                        ⨝ journey_keys (key -> journey)

The ledger keeps no environment, and the same structural key is usually stored in several
environments (staging and production run the same code), so a template counts only for
journeys of the environment whose name it was mined under. A template's ``occurrences`` here is
the number of the journey's traces that logged it (a trace that logged it twice counts once);
first and last seen are when the catalog job first and last saw it in those traces.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.core.artifacts.runbook import LOGGED_ERRORS, LoggedError
from slo_scout.db.models import Environment, JourneyKey, JourneyRow, TraceLedgerEntry

# Both tables are written by the streaming catalog job (migration 0003); no ORM model maps them.
_templates = sa.table(
    "log_templates",
    sa.column("id", sa.String),
    sa.column("environment", sa.String),
    sa.column("service", sa.String),
    sa.column("template", sa.Text),
)
_links = sa.table(
    "log_template_traces",
    sa.column("template_id", sa.String),
    sa.column("trace_id", sa.String),
    sa.column("seen_at", sa.DateTime(timezone=True)),
)

TOP = LOGGED_ERRORS


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive date-times; they were written in UTC
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _error(service: str, template: str, n: int, first: datetime, last: datetime) -> LoggedError:
    return LoggedError(service, template, int(n), _utc(first), _utc(last))


def _query(journey_ids: Iterable[int], limit: int | None) -> sa.Select[tuple[object, ...]]:
    ids = sorted(set(journey_ids))
    environment_name = (
        sa.select(Environment.name)
        .join(JourneyRow, JourneyRow.environment_id == Environment.id)
        .where(JourneyRow.id == JourneyKey.journey_id)
        .scalar_subquery()
    )
    occurrences = sa.func.count().label("occurrences")
    query = (
        sa.select(
            JourneyKey.journey_id, _templates.c.service, _templates.c.template, occurrences,
            sa.func.min(_links.c.seen_at), sa.func.max(_links.c.seen_at),
        )
        .select_from(_links)
        .join(_templates, _templates.c.id == _links.c.template_id)
        .join(TraceLedgerEntry, TraceLedgerEntry.trace_id == _links.c.trace_id)
        .join(JourneyKey, JourneyKey.key == TraceLedgerEntry.journey_key)
        .where(JourneyKey.journey_id.in_(ids), _templates.c.environment == environment_name)
        .group_by(JourneyKey.journey_id, _templates.c.id, _templates.c.service,
                  _templates.c.template)
        .order_by(JourneyKey.journey_id, occurrences.desc(), _templates.c.service,
                  _templates.c.template)
    )
    return query.limit(limit) if limit is not None else query


async def errors_of_journey(session: AsyncSession, journey_id: int, *, limit: int = TOP
                            ) -> list[LoggedError]:
    """The journey's error log templates, most frequent first, at most ``limit``."""
    rows = await session.execute(_query([journey_id], limit))
    return [_error(*row[1:]) for row in rows.all()]


async def errors_of_journeys(session: AsyncSession, journey_ids: Iterable[int], *,
                             limit: int = TOP) -> dict[int, list[LoggedError]]:
    """:func:`errors_of_journey` for several journeys in one query, by journey id (a journey
    with none is absent)."""
    out: dict[int, list[LoggedError]] = {}
    ids = list(journey_ids)
    if not ids:
        return out
    for row in (await session.execute(_query(ids, None))).all():
        found = out.setdefault(row[0], [])
        if len(found) < limit:
            found.append(_error(*row[1:]))
    return out
