"""The error log templates of a service's environment over a time range, per journey.

A template belongs to the range when one of the environment's journeys logged it there (a link
in the range whose trace's key belongs to a journey of this environment: the ledger keeps no
environment, and staging and production share keys) or when the service itself logged it there.
It is ``new`` when its first sighting lies in the range: the baseline, everything before
``start``, never had it. Counts: ``occurrences`` is the lifetime line count the catalog job
keeps; ``traces`` the range's traces that logged it, by journey in ``journeys``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.auth.guard import require_visible
from slo_scout.control.auth.principal import Principal
from slo_scout.control.catalog.service import visible_environments
from slo_scout.control.errors import InvalidField, NotFound
from slo_scout.control.logs import repository

SAMPLE_TRACES = 5


@dataclass(slots=True)
class TemplateSeen:
    id: str
    service: str
    template: str
    occurrences: int
    first_seen: datetime
    last_seen: datetime
    new: bool
    traces: int = 0
    journeys: dict[int, int] = field(default_factory=dict)  # journey id -> traces
    sample_trace_ids: list[str] = field(default_factory=list)  # the latest first


async def _environment(session: AsyncSession, principal: Principal, service: str,
                       environment: str) -> int:
    what = f"service '{service}' environment '{environment}'"
    found = await visible_environments(session, None, service, environment)
    if not found:
        raise NotFound(what)
    [(environment_id, (team, _, _))] = found.items()  # service names are unique
    require_visible(principal, team, "viewer", what)
    return environment_id


async def templates_of(
    session: AsyncSession, principal: Principal, *, service: str, environment: str,
    start: datetime, end: datetime, journey_id: int | None, limit: int,
) -> list[TemplateSeen]:
    """The range's templates, most traces first (then most lines), at most ``limit``."""
    environment_id = await _environment(session, principal, service, environment)
    journey_of = await repository.journey_of_keys(session, environment_id)
    if journey_id is not None and journey_id not in journey_of.values():
        raise InvalidField("journey_id", f"journey {journey_id} is no journey of service "
                           f"'{service}' environment '{environment}'")
    links = [(link, journey_of[link.key])
             for link in await repository.links_between(session, environment, start, end)
             if link.key in journey_of]
    if journey_id is not None:
        linked = {link.template_id for link, j in links if j == journey_id}
        links = [(link, j) for link, j in links if link.template_id in linked]
    rows = await repository.templates(
        session, environment, ids=[link.template_id for link, _ in links],
        service=service if journey_id is None else None, start=start, end=end)
    seen = {r.id: TemplateSeen(r.id, r.service, r.template, r.occurrences, r.first_seen,
                               r.last_seen, new=r.first_seen >= start) for r in rows}
    for link, journey in sorted(links, key=lambda lj: (lj[0].seen_at, lj[0].trace_id),
                                reverse=True):
        entry = seen[link.template_id]
        entry.traces += 1
        entry.journeys[journey] = entry.journeys.get(journey, 0) + 1
        if len(entry.sample_trace_ids) < SAMPLE_TRACES:
            entry.sample_trace_ids.append(link.trace_id)
    ranked = sorted(seen.values(), key=lambda t: (-t.traces, -t.occurrences, t.service,
                                                  t.template))
    return ranked[:limit]
