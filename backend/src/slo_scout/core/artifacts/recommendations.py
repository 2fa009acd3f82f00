"""``recommendations.yaml``: the recommendations and the evidence behind each.

From ``analyze``: every recommendation, including those with no number. From approved SLOs:
one entry per SLO, the recommendation it was adopted from (its own numbers, as recommended)
and, under ``slo``, what was approved: the numbers every other file of the bundle renders.
"""

from __future__ import annotations

from typing import Any

from slo_scout.core.artifacts._render import dump_yaml, render
from slo_scout.core.artifacts.chain import BundleRequest
from slo_scout.core.artifacts.model import Slo
from slo_scout.core.journeys.model import Journey
from slo_scout.core.recommend import Recommendation

GENERATOR = "recommendations/v1"


def _entry(rec: Recommendation, journey: Journey | None) -> dict[str, Any]:
    ev = rec.evidence
    interval = None
    if ev.interval is not None:
        interval = {
            "low": round(ev.interval.low, 6),
            "high": round(ev.interval.high, 6),
            "confidence": round(ev.interval.confidence, 4),
        }
    return {
        "journey": journey.name if journey else rec.journey_id,
        "journey_id": rec.journey_id,
        "sli": rec.kind.value,
        "status": rec.status.value,
        "objective": rec.objective,
        "threshold_seconds": rec.threshold_s,
        "evidence": {
            "good": ev.good,
            "total": ev.total,
            "ratio": None if ev.ratio is None else round(ev.ratio, 6),
            "wilson_interval": interval,
            "windows": ev.windows,
            "windows_with_traffic": ev.windows_with_traffic,
            "worst_window_ratio": (
                None if ev.worst_window_ratio is None else round(ev.worst_window_ratio, 6)
            ),
            "history_seconds": ev.history_s,
            "events_per_30_days": round(ev.events_per_30d, 1),
            "budget_minutes_per_30_days": (
                None if ev.budget_minutes_30d is None else round(ev.budget_minutes_30d, 2)
            ),
            "budget_events_per_30_days": (
                None if ev.budget_events_30d is None else round(ev.budget_events_30d, 1)
            ),
        },
        "incidents": _incidents_entry(rec),
        "backtest": _backtest_entry(rec),
        "low_traffic": rec.low_traffic,
        "low_traffic_reason": rec.low_traffic_reason,
        "rationale": rec.rationale,
        "rationale_by": rec.rationale_by,
        "provisional": _provisional_entry(rec),
    }


def _provisional_entry(rec: Recommendation) -> dict[str, Any] | None:
    """A draft for thin evidence: where it came from and the options the evidence allowed."""
    draft = rec.provisional
    if draft is None:
        return None
    return {"source": draft.source.value, "basis": draft.basis,
            "allowed_objectives": list(draft.objectives),
            "allowed_thresholds_seconds": list(draft.thresholds_s)}


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _incidents_entry(rec: Recommendation) -> dict[str, Any]:
    """The incidents found in the history and whether the figures above left them out."""
    ev = rec.evidence
    return {
        "excluded": not ev.incidents_included,
        "detection_windows": ev.detection_windows,
        "excluded_windows": ev.excluded_windows,
        "objective_the_other_way": ev.alternative_objective,
        "threshold_seconds_the_other_way": ev.alternative_threshold_s,
        "found": [
            {
                "start": i.start_s, "end": i.end_s, "good": i.good, "total": i.total,
                "ratio": round(i.ratio, 6), "baseline_ratio": round(i.baseline_ratio, 6),
                "burn_rate": _round(i.burn_rate, 2),
                "budget_share_of_history": _round(i.budget_share_history, 4),
                "budget_share_of_30_days": _round(i.budget_share_30d, 6),
            }
            for i in ev.incidents
        ],
    }


def _backtest_entry(rec: Recommendation) -> dict[str, Any] | None:
    """The same rule on the earlier half of the history, judged on the later half."""
    bt = rec.evidence.backtest
    if bt is None:
        return None
    return {
        "estimated_on": {"start": bt.estimate_start_s, "end": bt.split_s},
        "tested_on": {"start": bt.split_s, "end": bt.end_s, "good": bt.test_good,
                      "total": bt.test_total},
        "objective": bt.objective,
        "threshold_seconds": bt.threshold_s,
        "held": bt.held,
        "held_share_of_windows": _round(bt.held_share, 4),
        "budget_consumed": _round(bt.budget_consumed, 4),
        "page_alerts": bt.page_alerts,
        "ticket_alerts": bt.ticket_alerts,
    }


def _approved(slo: Slo) -> dict[str, Any]:
    return {
        "name": slo.name,
        "objective": slo.objective,
        "threshold_seconds": slo.threshold_s,
        "window_days": slo.period_days,
        "owner": slo.owner,
        "approval": slo.approval,
    }


def _entries(request: BundleRequest) -> list[dict[str, Any]]:
    by_id = {j.id: j for j in request.journeys}
    if request.approved:
        return [{**_entry(s.recommendation, s.journey), "slo": _approved(s)}
                for s in request.slos]
    ordered = sorted(
        request.recommendations,
        key=lambda r: (
            by_id[r.journey_id].name if r.journey_id in by_id else "",
            r.journey_id,
            r.kind.value,
        ),
    )
    return [_entry(r, by_id.get(r.journey_id)) for r in ordered]


def render_recommendations(request: BundleRequest) -> str:
    family = request.family
    document = {
        "generated_at": request.now.isoformat(),
        "strategy": request.strategy.value,
        "metric_family": {"kind": family.kind.value, "histogram": family.histogram,
                          "unit": family.unit},
        "recommendations": _entries(request),
    }
    about = ("The approved SLOs (slo) and the recommendations they were adopted from."
             if request.approved else "Recommended SLO targets and the evidence behind each.")
    return render(
        "yaml_file.yaml.j2",
        version=request.version,
        generator=GENERATOR,
        about=about,
        body=dump_yaml(document).rstrip("\n"),
    )
