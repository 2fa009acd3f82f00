"""A journey's availability band as Prometheus rules (``core.forecast.rules``).

The band is fitted on hourly steps over the ``history_days`` before the end of the journey's
newest stored hour (recorded data is used where it lies, not at the wall clock), and the SLI
queries are the journey's availability SLI for the environment's metric family, the same the
SLO bundle's rules use.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.analysis.family import family_for_environment
from slo_scout.control.auth.principal import Principal
from slo_scout.control.errors import InvalidField
from slo_scout.control.forecast import repository
from slo_scout.control.forecast.history import steps
from slo_scout.control.forecast.service import visible_journey
from slo_scout.control.journeys.convert import journey_from_row
from slo_scout.core.forecast import InsufficientHistory, fit_band
from slo_scout.core.forecast.policy import sli_policy
from slo_scout.core.forecast.rules import band_rules, hourly_profile
from slo_scout.core.slis import sli_candidates, slug

HOUR = timedelta(hours=1)


async def journey_band_rules(
    session: AsyncSession, principal: Principal, journey_id: int, *, history_days: int,
    configured_family: str | None, prometheus_url: bool,
) -> str:
    row = await visible_journey(session, principal, journey_id)
    newest = await repository.last_minute(session, journey_id)
    if newest is None:
        raise InvalidField("history_days", f"journey {journey_id} has no stored minutes")
    end = newest.replace(minute=0, second=0, microsecond=0) + HOUR
    hourly = await steps(session, journey_id, end - timedelta(days=history_days), end, HOUR,
                         latency=False)
    values = [s.availability for s in hourly]
    try:
        band = fit_band(values, sli_policy("availability", 60, values))
    except InsufficientHistory as short:
        raise InvalidField("history_days", f"{short.have} hours with traffic before "
                           f"{end.isoformat()}; a band needs {short.need}") from short
    family = (await family_for_environment(
        session, row.environment_id, configured_kind=configured_family,
        prometheus_url=prometheus_url)).family
    availability, _ = sli_candidates(journey_from_row(row, []), family)
    return band_rules(journey=slug(row.name), error_query=availability.error_query,
                      total_query=availability.total_query,
                      profile=hourly_profile(band, hourly[-1].start))
