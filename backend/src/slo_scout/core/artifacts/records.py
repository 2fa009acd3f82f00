"""Approved SLO records: what a person approved, turned into the SLOs the generators render.

A record carries every number that ends up in a file (name, objective, SLI kind and threshold,
period, description, owner); the recommendation it was adopted from only explains them. An SLO
written by hand comes with a recommendation that has no evidence and says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from slo_scout.core.artifacts.model import Slo
from slo_scout.core.errors import SloScoutError
from slo_scout.core.journeys.model import Journey
from slo_scout.core.recommend import Recommendation
from slo_scout.core.slis import MetricFamily, SliKind, availability_sli, latency_sli


@dataclass(frozen=True, slots=True)
class SloRecord:
    """One approved SLO. ``approval`` says who approved which version (for the runbook)."""

    journey_id: str
    kind: SliKind
    name: str
    objective: float  # percent
    threshold_s: float | None  # latency only
    period_days: int
    description: str
    owner: str
    approval: str
    recommendation: Recommendation


def slo_from_record(journey: Journey, record: SloRecord, family: MetricFamily) -> Slo:
    """SloScoutError naming the record when its SLI cannot be built (a threshold that is no
    bucket boundary of the family's histogram)."""
    try:
        if record.kind is SliKind.LATENCY:
            if record.threshold_s is None:
                raise SloScoutError("a latency SLO needs a threshold")
            sli = latency_sli(journey, family, record.threshold_s)
        else:
            sli = availability_sli(journey, family)
    except SloScoutError as exc:
        raise SloScoutError(f"SLO {record.name}: {exc}") from exc
    return Slo(
        journey, sli, record.recommendation, record.objective, record.period_days,
        given_name=record.name, given_description=record.description, owner=record.owner,
        approval=record.approval,
    )


def slos_from_records(
    journeys: Iterable[Journey], records: Iterable[SloRecord], family: MetricFamily
) -> list[Slo]:
    """One SLO per record whose journey is known, ordered by service, journey, kind and name."""
    by_id = {j.id: j for j in journeys}
    out = [slo_from_record(by_id[r.journey_id], r, family) for r in records
           if r.journey_id in by_id]
    out.sort(key=lambda s: (s.service, s.journey.name, s.journey.id, s.sli.kind.value, s.name))
    return out
