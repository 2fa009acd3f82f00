"""Whether an SLO would render, checked when it is created or edited: 422 naming the field.

Before this check, an SLO the bundle could not render (a latency threshold that is no bucket of
the histogram, a period Sloth has no alert windows for, a second SLO on the same SLI) was
accepted, approved, and then failed ``POST /artifacts`` for the whole environment. Each check
says what would be accepted: the nearest buckets, the periods there are, the SLO already there.
Last, the SLO is rendered alone through the bundle's generator chain with the metric family
bundles use, so whatever else a generator would refuse is refused now.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout import __version__
from slo_scout.control.artifacts.rendering import NO_EVIDENCE, family_of
from slo_scout.control.errors import InvalidField
from slo_scout.control.journeys import repository as journeys_repo
from slo_scout.control.journeys.convert import journey_from_row
from slo_scout.control.slos import repository as slos_repo
from slo_scout.core.artifacts import SloRecord, render_approved
from slo_scout.core.errors import SloScoutError
from slo_scout.core.recommend import Recommendation, Status, Strategy
from slo_scout.core.rules import WindowsCatalog
from slo_scout.core.slis import MetricFamily, SliKind
from slo_scout.core.specs.durations import DAY

LIVE = ("proposed", "approved")  # a rejected SLO renders nowhere


@dataclass(frozen=True, slots=True)
class Candidate:
    """An SLO as it would be after the create or edit. ``slo_id``: None while being created."""

    environment_id: int
    slo_id: int | None
    journey_id: int | None
    name: str
    sli_kind: str
    objective: float
    threshold_seconds: float | None
    window_days: int
    description: str


def periods_days() -> list[int]:
    return [p // DAY for p in WindowsCatalog().periods if p % DAY == 0]


def check_window(window_days: int) -> None:
    accepted = periods_days()
    if window_days not in accepted:
        raise InvalidField("window_days", (
            f"{window_days} days has no Sloth alert windows; accepted: "
            f"{' or '.join(str(d) for d in accepted)} (days)"))


def _seconds(value: float) -> str:
    return f"{value:g} s"


def check_threshold(family: MetricFamily, threshold_s: float) -> None:
    try:
        family.le_for(threshold_s)
    except SloScoutError:
        bounds = family.buckets_s
        at = bisect_left(bounds, threshold_s)
        nearest = [bounds[i] for i in (at - 1, at) if 0 <= i < len(bounds)]
        raise InvalidField("threshold_seconds", (
            f"{_seconds(threshold_s)} is no bucket boundary of {family.histogram} "
            f"({family.kind.value}), so no SLI can count requests within it; the nearest: "
            f"{' and '.join(_seconds(b) for b in nearest)} (every bucket: "
            f"{', '.join(f'{b:g}' for b in bounds)} s)")) from None


def _same(a: float | None, b: float | None) -> bool:
    # Thresholds adopted from a recommendation are bucket arithmetic (1.4000000000000001).
    return a == b or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9))


async def check_same_sli(session: AsyncSession, candidate: Candidate, field: str) -> None:
    """A second live SLO on the same journey, SLI kind and threshold is refused: it would
    measure the very same SLI. Latency SLOs at different thresholds are different SLIs."""
    if candidate.journey_id is None:
        return
    for status in LIVE:
        for other in await slos_repo.of_environment(session, candidate.environment_id, status):
            if (other.id != candidate.slo_id and other.journey_id == candidate.journey_id
                    and other.sli_kind == candidate.sli_kind
                    and _same(other.threshold_seconds, candidate.threshold_seconds)):
                within = ("" if other.threshold_seconds is None
                          else f" within {_seconds(other.threshold_seconds)}")
                raise InvalidField(field, (
                    f"SLO '{other.name}' (id {other.id}, {other.status}) already measures "
                    f"this journey's {other.sli_kind}{within}; edit that SLO instead"))


async def check_renders(session: AsyncSession, candidate: Candidate, family: MetricFamily,
                        now: datetime) -> None:
    if candidate.journey_id is None:
        return
    row = await journeys_repo.get_journey(session, candidate.journey_id)
    if row is None:
        return
    journey = journey_from_row(row, [])
    kind = SliKind(candidate.sli_kind)
    record = SloRecord(
        journey_id=journey.id, kind=kind, name=candidate.name, objective=candidate.objective,
        threshold_s=candidate.threshold_seconds, period_days=candidate.window_days,
        description=candidate.description, owner="check", approval="check",
        recommendation=Recommendation(
            journey_id=journey.id, kind=kind, strategy=Strategy.BALANCED, status=Status.OK,
            objective=candidate.objective, threshold_s=candidate.threshold_seconds,
            evidence=NO_EVIDENCE, low_traffic=False, low_traffic_reason=None, rationale="",
        ),
    )
    try:
        render_approved([journey], [record], family=family, strategy=Strategy.BALANCED,
                        now=now, version=__version__)
    except SloScoutError as exc:
        raise InvalidField("body", f"this SLO would not render: {exc}") from exc


async def check(session: AsyncSession, candidate: Candidate, *, metric_family: str | None,
                now: datetime, journey_field: str) -> None:
    """InvalidField naming the first field that keeps the SLO from rendering.
    ``journey_field``: the request field that chose the journey (``journey_id``, ``sli_kind``)."""
    family = family_of(metric_family)
    check_window(candidate.window_days)
    if candidate.sli_kind == SliKind.LATENCY.value and candidate.threshold_seconds is not None:
        check_threshold(family, candidate.threshold_seconds)
    await check_same_sli(session, candidate, journey_field)
    await check_renders(session, candidate, family, now)
