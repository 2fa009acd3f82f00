"""The HTML report: one self-contained page with every journey's numbers and pictures.

No scripts, fonts or stylesheets are fetched; pictures are inline SVG. Journeys are listed by
request count; only the busiest ``max_pictured`` get pictures, so a recording with thousands of
rare journeys still renders in seconds. The page is the same bytes for the same discovery.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jinja2

from slo_scout.core.journeys import Discovery
from slo_scout.core.journeys.model import Journey
from slo_scout.core.recommend import Recommendation
from slo_scout.report.bands import band_chart
from slo_scout.report.charts import critical_path_chart, latency_histogram, traffic_timeline
from slo_scout.report.graph import call_graph
from slo_scout.report.recommendations import recommendation_rows

MAX_PICTURED = 40
_SHOWN_PROBLEMS = 50


@dataclass(frozen=True, slots=True)
class InputSummary:
    """What was read, for the report's header."""

    sources: tuple[str, ...] = ()
    bad_records: int = 0
    problems: tuple[str, ...] = ()


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("slo_scout.report", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def _ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1000.0:,.1f}"


def _when(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def journey_row(journey: Journey) -> dict[str, Any]:
    return {
        "id": journey.id,
        "name": journey.name,
        "entry": journey.entry.label,
        "requests": f"{journey.requests:,}",
        "rate": f"{journey.rate_per_s:,.2f}",
        "error_pct": f"{journey.error_ratio * 100:.2f}",
        "p50": _ms(journey.quantile(0.5)),
        "p90": _ms(journey.quantile(0.9)),
        "p95": _ms(journey.quantile(0.95)),
        "p99": _ms(journey.quantile(0.99)),
        "services": len(journey.services),
    }


def _journey_section(
    journey: Journey, pictured: bool, recommendations: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    salt = f"slo-scout-{journey.id}"
    row = journey_row(journey)
    row.update({
        "entry_protocol": journey.entry.protocol,
        "entry_span": journey.entry.span_name,
        "fingerprint": journey.fingerprint,
        "services_list": list(journey.services),
        "first_seen": _when(journey.first_seen_ns),
        "last_seen": _when(journey.last_seen_ns),
        "edges": [
            {"caller": e.caller, "callee": e.callee, "operation": e.operation,
             "calls": f"{e.calls:,}",
             "per_request": f"{e.calls / max(journey.requests, 1):.2f}"}
            for e in journey.edges
        ],
        "steps": [
            {"service": s.service, "operation": s.operation, "share": f"{s.share * 100:.1f}",
             "error_pct": f"{s.error_ratio * 100:.2f}"}
            for s in sorted(journey.critical_path,
                            key=lambda s: (-s.share, s.service, s.operation))
        ],
        "variants": [
            {"fingerprint": v.fingerprint[:12], "requests": f"{v.requests:,}",
             "share": f"{v.requests / max(journey.requests, 1) * 100:.1f}",
             "difference": v.difference, "example": v.example_trace_id}
            for v in journey.variants
        ],
        "samples": list(journey.sample_trace_ids),
        "recommendations": list(recommendations),
        "pictured": pictured,
        "graph_svg": call_graph(journey, f"{salt}-graph") if pictured else None,
        "latency_svg": latency_histogram(journey, f"{salt}-latency") if pictured else None,
        "timeline_svg": traffic_timeline(journey, f"{salt}-timeline") if pictured else None,
        "critical_svg": (
            critical_path_chart(journey.critical_path, f"{salt}-critical") if pictured else None
        ),
        "bands_svg": band_chart(journey.minutes, f"{salt}-bands") if pictured else None,
    })
    return row


def render_report(
    discovery: Discovery,
    *,
    inputs: InputSummary | None = None,
    title: str = "SLO Scout: journeys",
    max_pictured: int = MAX_PICTURED,
    recommendations: Sequence[Recommendation] = (),
) -> dict[str, bytes]:
    """``{"report.html": bytes}`` for a discovery; the caller decides where it goes.
    ``recommendations``: shown per journey (status, objective, incidents, backtest)."""
    inputs = inputs or InputSummary()
    journeys = sorted(discovery.journeys, key=lambda j: (-j.requests, j.name, j.id))
    rows = recommendation_rows(recommendations)
    sections = [_journey_section(j, i < max_pictured, rows.get(j.id, ()))
                for i, j in enumerate(journeys)]
    seen = [j.first_seen_ns for j in journeys] + [j.last_seen_ns for j in journeys]
    html = _ENV.get_template("report.html.j2").render(
        title=title,
        sources=list(inputs.sources),
        traces=f"{discovery.trace_count:,}",
        spans=f"{discovery.span_count:,}",
        incomplete=f"{discovery.incomplete_traces:,}",
        fragment_traces=f"{sum(f.traces for f in discovery.fragments):,}",
        fragments=[
            {"entry": f.label, "traces": f"{f.traces:,}", "spans": f"{f.spans:,}",
             "samples": [trace_id for _, trace_id in f.samples]}
            for f in discovery.fragments
        ],
        bad_records=f"{inputs.bad_records:,}",
        trace_problems=[
            {"kind": kind, "traces": f"{count:,}"}
            for kind, count in sorted(discovery.problems.items())
        ],
        problems=list(inputs.problems)[:_SHOWN_PROBLEMS],
        more_problems=max(0, len(inputs.problems) - _SHOWN_PROBLEMS),
        window=f"{_when(min(seen))} → {_when(max(seen))}" if seen else "–",
        journeys=sections,
        max_pictured=max_pictured,
    )
    return {"report.html": html.encode()}
