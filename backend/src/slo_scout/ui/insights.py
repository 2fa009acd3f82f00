"""What the journey and SLO pages show beyond the stored rows: similar journeys with their
approved SLOs, the SLI bands with their anomalies, and an SLO's budget forecast and incidents.

Each reuses the control function its JSON endpoint calls (``SharedVectors.similar``,
``forecast.service.journey_bands`` and ``slo_forecast``) with the signed-in principal, so a page
shows exactly what the API would answer that person. A section that cannot be answered (Milvus
down, no vector yet, too little history, an SLO without a journey) says so in words; the rest
of the page stands.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slo_scout.control.errors import NotFound
from slo_scout.control.forecast import service as forecasts
from slo_scout.control.journeys.shared_vectors import VectorsUnavailable, shared_vectors
from slo_scout.core.forecast import sentence
from slo_scout.ui import charts
from slo_scout.ui.web import Viewer

SIMILAR_LIMIT = 5
# the anomalies endpoint's defaults: a day up to the newest stored hour, fitted with the 14
# days before it
STEP_MINUTES, RANGE, HISTORY_DAYS = 60, timedelta(days=1), 14
TITLES = {"availability": "Availability", "latency_p99": "p99 latency"}


async def similar(state: Any, me: Viewer, row: Any) -> dict[str, Any]:
    """{"items": [...]} or {"missing": words} (no vector yet, or Milvus cannot answer)."""
    try:
        found = await shared_vectors(state, me.settings).similar(
            me.session, row, me.principal, SIMILAR_LIMIT)
    except NotFound:
        return {"missing": "This journey has no vector yet: the embedding job stores one for "
                           "each new journey, and an analysis of its environment embeds what "
                           "is missing."}
    except VectorsUnavailable as error:
        return {"missing": f"Similar journeys cannot be looked up right now: {error}."}
    return {"items": found}


def _fmt(sli: str) -> Any:
    if sli == "availability":
        return lambda v: f"{v * 100:.2f}%"
    return lambda v: f"{v * 1000:.0f} ms" if v >= 0.1 else f"{v * 1000:.1f} ms"


def _bad(sli: str, side: str) -> bool:
    return side == ("low" if sli == "availability" else "high")


def _section(band: forecasts.SliBand, name: str, *, chart: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"sli": band.sli, "title": TITLES[band.sli], "status": band.status,
                           "have": band.have, "need": band.need}
    fitted = band.band
    if fitted is None:
        return out
    fmt = _fmt(band.sli)
    first = band.first
    out["chart"] = None if not chart else charts.band(
        band.times[first:], band.values[first:], fitted.expected[first:], fitted.lower[first:],
        fitted.upper[first:], [a.index - first for a in band.anomalies],
        f"{TITLES[band.sli]} of {name}", fmt)
    out["anomalies"] = [{"start": band.times[a.index], "value": fmt(a.value),
                         "band": f"{fmt(a.lower)} – {fmt(a.upper)}", "score": a.score,
                         "bad": _bad(band.sli, a.side), "side": a.side}
                        for a in band.anomalies]
    return out


async def bands(me: Viewer, row: Any) -> dict[str, Any]:
    """The journey's availability and p99 bands over the anomalies endpoint's default range."""
    end = await forecasts.newest_end(me.session, me.principal, row.id, STEP_MINUTES) or me.now
    result = await forecasts.journey_bands(
        me.session, me.principal, row.id, start=end - RANGE, end=end,
        step_minutes=STEP_MINUTES, history_days=HISTORY_DAYS)
    return {"start": result.start, "end": result.end, "step_minutes": STEP_MINUTES,
            "history_days": HISTORY_DAYS, "slis": [_section(s, row.name) for s in result.slis]}


async def slo_outlook(me: Viewer, slo: Any, journey: Any) -> dict[str, Any]:
    """The SLO's budget forecast at the page's now, and its incidents: the anomalies on the bad
    side of its journey's SLI band (availability below, p99 above) within the SLO's window."""
    if journey is None:
        return {"missing": "This SLO names no journey: there is no history to forecast from."}
    result, band = await forecasts.slo_outlook(me.session, me.principal, slo.id, now=me.now,
                                               step_minutes=STEP_MINUTES)
    sli = band.sli
    section = _section(band, journey.name, chart=False)
    return {"budget": result.budget, "expected_status": result.expected_status,
            "sentence": sentence(result.budget), "incident_sli": TITLES[sli],
            "incidents": [a for a in section.get("anomalies", []) if a["bad"]],
            "band_status": band.status, "have": band.have, "need": band.need}
