"""The report's view of each journey's recommended SLOs: status, objective, incidents, backtest."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from slo_scout.core.recommend import Recommendation
from slo_scout.core.slis import SliKind


def _when(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def _target(rec: Recommendation) -> str:
    if rec.objective is None:
        return "–"
    if rec.kind is SliKind.LATENCY and rec.threshold_s is not None:
        return f"{rec.objective:g}% within {rec.threshold_s * 1000:g} ms"
    return f"{rec.objective:g}%"


def _backtest(rec: Recommendation) -> str:
    bt = rec.evidence.backtest
    if bt is None or bt.objective is None or bt.held_share is None:
        return "–"
    assert bt.budget_consumed is not None
    verdict = "held" if bt.held else "broken"
    return (f"{bt.objective:g}%: {verdict}, {bt.budget_consumed * 100:.0f}% of budget, "
            f"{bt.page_alerts} page / {bt.ticket_alerts} ticket")


def recommendation_rows(recs: Sequence[Recommendation]) -> dict[str, list[dict[str, Any]]]:
    """Per journey id, one row per SLI, for the report template."""
    out: dict[str, list[dict[str, Any]]] = {}
    for rec in recs:
        ev = rec.evidence
        out.setdefault(rec.journey_id, []).append({
            "sli": rec.kind.value,
            "status": (rec.status.value if rec.provisional is None
                       else f"provisional ({rec.provisional.source.value})"),
            "target": _target(rec),
            "backtest": _backtest(rec),
            "incidents": [
                {"window": f"{_when(i.start_s)} → {_when(i.end_s)}",
                 "requests": f"{i.total:,}", "bad": f"{i.bad:,}",
                 "ratio": f"{i.ratio * 100:.2f}", "baseline": f"{i.baseline_ratio * 100:.2f}",
                 "burn": "–" if i.burn_rate is None else f"{i.burn_rate:.1f}x",
                 "budget": ("–" if i.budget_share_history is None
                            else f"{i.budget_share_history * 100:.0f}%")}
                for i in ev.incidents
            ],
            "incidents_included": ev.incidents_included,
            "rationale": rec.rationale,
        })
    return out
