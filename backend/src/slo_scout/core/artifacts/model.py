"""The SLOs the artifact writers render: a journey, its SLI, its objective and period.

Two ways in. ``build_slos`` (``slo-scout analyze``): one SLO per recommendation with an
objective (``ok`` or ``below standard targets``), named after its journey and SLI; the others
are reported, never written as specs with an invented number. ``slos_from_records`` (the
control plane): one SLO per approved record, with the name, objective, threshold, period,
description and owner a person approved; the recommendation it was adopted from only explains
the numbers (runbook, ``recommendations.yaml``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from slo_scout.core.journeys.model import Journey
from slo_scout.core.recommend import Recommendation
from slo_scout.core.slis import (
    MetricFamily,
    SliCandidate,
    SliKind,
    availability_sli,
    latency_sli,
    slug,
)

_SLOTH_NAME = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]$")


@dataclass(frozen=True, slots=True)
class BurnWindow:
    """One multi-window multi-burn-rate alert condition (Google SRE workbook, as Sloth does)."""

    severity: str  # "page" | "ticket"
    budget_share: float  # share of the period's budget spent when it fires
    long_window: str
    short_window: str
    long_hours: int

    def burn_rate(self, period_days: int) -> float:
        # Sloth's order of operations, so the floats print as Sloth prints them (14.4, 13.44).
        return self.budget_share * (period_days * 24 / self.long_hours)


# Sloth's default windows (30d and 28d both use these long/short pairs).
BURN_WINDOWS = (
    BurnWindow("page", 0.02, "1h", "5m", 1),
    BurnWindow("page", 0.05, "6h", "30m", 6),
    BurnWindow("ticket", 0.10, "1d", "2h", 24),
    BurnWindow("ticket", 0.10, "3d", "6h", 72),
)
SLI_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
DEFAULT_OWNER = "slo-scout"


@dataclass(frozen=True, slots=True)
class Slo:
    """``given_name``/``given_description`` empty: the SLI's own (what ``analyze`` writes).
    ``approval``: who approved which version, for an SLO rendered from an approved record."""

    journey: Journey
    sli: SliCandidate
    recommendation: Recommendation
    objective: float  # percent
    period_days: int = 30
    given_name: str = ""
    given_description: str = ""
    owner: str = DEFAULT_OWNER
    approval: str = ""

    @property
    def name(self) -> str:
        return self.given_name or self.sli.name

    @property
    def provisional_source(self) -> str | None:
        """The source of a provisional draft (``analyze``'s, never an approved SLO's)."""
        draft = self.recommendation.provisional
        return None if draft is None or self.approval else draft.source.value

    @property
    def description(self) -> str:
        if self.given_description:
            return self.given_description
        source = self.provisional_source
        prefix = f"Provisional draft ({source}), to review: " if source else ""
        return prefix + self.sli.description

    @property
    def service(self) -> str:
        return spec_service(self.sli.service)

    @property
    def alert_name(self) -> str:
        # An approved SLO's alert carries its approved name; analyze's, the journey's.
        base = self.given_name or f"{self.journey.name} {self.sli.kind.value}"
        words = re.split(r"[^A-Za-z0-9]+", base)
        camel = "".join(w[:1].upper() + w[1:] for w in words if w)
        return camel if camel[:1].isalpha() else "Slo" + camel

    @property
    def runbook_path(self) -> str:
        return f"runbooks/{slug(self.service)}/{self.name}.md"

    @property
    def budget_ratio(self) -> float:
        return 1 - self.objective / 100

    @property
    def threshold_s(self) -> float | None:
        return self.sli.threshold_s


def spec_service(service: str) -> str:
    """The service name as Sloth accepts it: unchanged when valid, else a slug."""
    return service if _SLOTH_NAME.match(service) else slug(service)


def dashboard_uid(service: str) -> str:
    # Grafana uids are at most 40 characters.
    return "slo-" + slug(service, limit=36)


def build_slos(
    journeys: Iterable[Journey],
    recommendations: Iterable[Recommendation],
    family: MetricFamily,
    *,
    period_days: int = 30,
) -> list[Slo]:
    """One SLO per recommendation with an objective (provisional drafts included), ordered
    by service, journey name and SLI kind."""
    by_id = {j.id: j for j in journeys}
    out = []
    for rec in recommendations:
        if not rec.has_objective or rec.objective is None:
            continue
        journey = by_id.get(rec.journey_id)
        if journey is None:
            continue
        if rec.kind is SliKind.LATENCY:
            assert rec.threshold_s is not None
            sli = latency_sli(journey, family, rec.threshold_s)
        else:
            sli = availability_sli(journey, family)
        out.append(Slo(journey, sli, rec, rec.objective, period_days))
    out.sort(key=lambda s: (s.service, s.journey.name, s.journey.id, s.sli.kind.value))
    return out


def by_service(slos: Sequence[Slo]) -> dict[str, list[Slo]]:
    out: dict[str, list[Slo]] = {}
    for slo in slos:
        out.setdefault(slo.service, []).append(slo)
    return dict(sorted(out.items()))
