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
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.logs.tables import LOG_TEMPLATE_TRACES, LOG_TEMPLATES, utc
from slo_scout.core.artifacts.runbook import LOGGED_ERRORS, LoggedError
from slo_scout.db.models import Environment, JourneyKey, TraceLedgerEntry

_templates, _links = LOG_TEMPLATES, LOG_TEMPLATE_TRACES

TOP = LOGGED_ERRORS


def _error(service: str, template: str, n: int, first: datetime, last: datetime) -> LoggedError:
    return LoggedError(service, template, int(n), utc(first), utc(last))


async def _keys_of(session: AsyncSession, journey_ids: Iterable[int]
                   ) -> dict[tuple[str, str], int]:
    """(environment name, structural key) -> the journey the key belongs to now."""
    rows = await session.execute(
        sa.select(Environment.name, JourneyKey.key, JourneyKey.journey_id)
        .join(Environment, Environment.id == JourneyKey.environment_id)
        .where(JourneyKey.journey_id.in_(sorted(set(journey_ids))))
    )
    return {(name, key): journey_id for name, key, journey_id in rows.all()}


async def errors_of_journeys(session: AsyncSession, journey_ids: Iterable[int], *,
                             limit: int = TOP) -> dict[int, list[LoggedError]]:
    """Each journey's error log templates, most frequent first, at most ``limit`` each, by
    journey id (a journey with none is absent)."""
    keys = await _keys_of(session, journey_ids)
    if not keys:
        return {}
    # Driven from the links (error traces only, far fewer than the ledger's traces): each
    # link's key is one primary-key lookup in the ledger. Joined instead, PostgreSQL reads the
    # whole ledger (it has no index on the key, and must not need one: a busy journey's key
    # has millions of traces).
    key_of_trace = (
        sa.select(TraceLedgerEntry.journey_key)
        .where(TraceLedgerEntry.trace_id == _links.c.trace_id)
        .scalar_subquery()
    )
    linked = (
        sa.select(_templates.c.environment, _templates.c.id, _templates.c.service,
                  _templates.c.template, _links.c.seen_at, key_of_trace.label("key"))
        .select_from(_links)
        .join(_templates, _templates.c.id == _links.c.template_id)
        .where(_templates.c.environment.in_(sorted({name for name, _ in keys})))
        .subquery()
    )
    rows = await session.execute(
        sa.select(linked.c.environment, linked.c.key, linked.c.id, linked.c.service,
                  linked.c.template, sa.func.count(), sa.func.min(linked.c.seen_at),
                  sa.func.max(linked.c.seen_at))
        .where(linked.c.key.in_(sorted({key for _, key in keys})))
        .group_by(linked.c.environment, linked.c.key, linked.c.id, linked.c.service,
                  linked.c.template)
    )
    # A journey folds several keys: a template's traces add up over them.
    merged: dict[tuple[int, str], list[Any]] = {}
    for environment, key, template_id, service, template, n, first, last in rows.all():
        journey_id = keys.get((environment, key))
        if journey_id is None:  # the key of another environment's journey
            continue
        seen = merged.get((journey_id, template_id))
        if seen is None:
            merged[(journey_id, template_id)] = [service, template, n, first, last]
        else:
            seen[2] += n
            seen[3], seen[4] = min(seen[3], first), max(seen[4], last)
    out: dict[int, list[LoggedError]] = {}
    for (journey_id, _), (service, template, n, first, last) in merged.items():
        out.setdefault(journey_id, []).append(_error(service, template, n, first, last))
    for errors in out.values():
        errors.sort(key=lambda e: (-e.occurrences, e.service, e.template))
        del errors[limit:]
    return out


async def errors_of_journey(session: AsyncSession, journey_id: int, *, limit: int = TOP
                            ) -> list[LoggedError]:
    """The journey's error log templates, most frequent first, at most ``limit``."""
    return (await errors_of_journeys(session, [journey_id], limit=limit)).get(journey_id, [])
