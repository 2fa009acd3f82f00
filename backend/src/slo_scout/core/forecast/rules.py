"""Prometheus recording rules (and one alert) for a journey's availability band, so the team's
own Prometheus can alert when the journey leaves it.

PromQL cannot fit a band, so the band travels as data: the expected, lower and upper
availability of each UTC hour of the next day (the fitted band continued a day ahead, hourly
steps), selected by ``hour()`` at evaluation. The availability itself is recorded from the
journey's SLI queries over 1h, the band's step. Regenerate the rules as history accrues (they
carry the band of the day they were made).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import yaml

from slo_scout.core.forecast.band import Band, ahead

RATIO = "slo_scout:journey_availability:ratio_rate1h"
BAND = "slo_scout:journey_availability_band:{}"


@dataclass(frozen=True, slots=True)
class HourBand:
    hour: int  # UTC
    expected: float
    lower: float
    upper: float


def hourly_profile(band: Band, last_step: datetime) -> list[HourBand]:
    """The band over the 24 hours after ``last_step`` (the start of the fit's last hourly
    step), by UTC hour; availability is clipped to [0, 1]."""
    width = band.sigmas * band.sigma
    out = []
    for i, expected in enumerate(ahead(band, 24)):
        hour = (last_step + timedelta(hours=i + 1)).hour
        out.append(HourBand(hour, round(min(1.0, max(0.0, expected)), 6),
                            round(max(0.0, expected - width), 6),
                            round(min(1.0, expected + width), 6)))
    return sorted(out, key=lambda h: h.hour)


def _by_hour(profile: Sequence[HourBand], field: str) -> str:
    return " or ".join(f"(vector({getattr(h, field)!r}) and on() hour() == {h.hour})"
                       for h in profile)


def band_rules(*, journey: str, error_query: str, total_query: str,
               profile: Sequence[HourBand], for_: str = "15m") -> str:
    """A Prometheus rule file (YAML) for ``journey`` (a DNS-1123 slug): its hourly availability,
    the band by hour, and an alert when the availability stays below the band for ``for_``.
    ``error_query`` and ``total_query`` carry Sloth's ``{{.window}}``."""
    if len(profile) != 24:
        raise ValueError("the profile needs all 24 hours")
    error, total = (q.replace("{{.window}}", "1h") for q in (error_query, total_query))
    labels = {"journey": journey}
    rules: list[dict[str, object]] = [
        {"record": RATIO, "expr": f"1 - (({error}) / ({total}))", "labels": labels},
    ]
    rules += [{"record": BAND.format(field), "expr": _by_hour(profile, field), "labels": labels}
              for field in ("expected", "lower", "upper")]
    rules.append({
        "alert": "SloScoutJourneyAvailabilityBelowBand",
        "expr": (f'{RATIO}{{journey="{journey}"}} < on(journey) '
                 f'{BAND.format("lower")}{{journey="{journey}"}}'),
        "for": for_,
        "labels": {**labels, "severity": "ticket"},
        "annotations": {
            "summary": f"{journey}: availability below the band its history expects",
            "description": "Availability over the last hour is {{ $value | humanizePercentage }}, "
                           "below the lower edge of the expected band.",
        },
    })
    return yaml.safe_dump({"groups": [{"name": f"slo-scout-band-{journey}", "interval": "1m",
                                       "rules": rules}]}, sort_keys=False, width=1000)
