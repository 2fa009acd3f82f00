"""The pull (merge) request a delivery opens: its title and a body a reviewer can decide on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from slo_scout.core.delivery.layout import Target
from slo_scout.core.delivery.summary import SloSummary, target_changes

MARKER = "<!-- slo-scout:delivery {team}/{service}/{environment} -->"


@dataclass(frozen=True, slots=True)
class PullRequestText:
    title: str
    body: str


def _interval(summary: SloSummary) -> str:
    interval = (summary.evidence or {}).get("wilson_interval")
    if not isinstance(interval, dict):
        return "–"
    return f"{interval['low'] * 100:.2f}–{interval['high'] * 100:.2f}%"


def _requests(summary: SloSummary) -> str:
    evidence = summary.evidence or {}
    if "total" not in evidence:
        return "–"
    return f"{evidence['good']:,} good of {evidence['total']:,}"


def _budget(summary: SloSummary) -> str:
    budget = summary.budget()
    if budget is None:
        return "–"
    minutes, events = budget
    text = f"{minutes:,.0f} min"
    return text + (f", {events:,.0f} requests" if events is not None else "")


def _row(s: SloSummary) -> str:
    threshold = f" under {s.threshold_s:g} s" if s.threshold_s is not None else ""
    source = s.source + (" (provisional)" if s.provisional else "")
    return (f"| `{s.name}` | {s.sli}{threshold} | {s.objective:g}% | {s.window} | "
            f"{_requests(s)} | {_interval(s)} | {_budget(s)} | {source} |")


def _backtest(s: SloSummary) -> str | None:
    """How the recommending rule fared on this SLO's own history, in one line."""
    bt = s.backtest
    if not bt:
        return None
    if bt.get("objective") is None:
        return f"`{s.name}`: the earlier half of the history supported no objective to judge"
    tested = bt.get("tested_on") or {}
    held = "held" if bt.get("held") else "did not hold"
    share = bt.get("held_share_of_windows")
    windows = f", in {share * 100:.0f}% of its windows" if share is not None else ""
    budget = bt.get("budget_consumed")
    spent = f", spending {budget * 100:.0f}% of its budget" if budget is not None else ""
    return (f"`{s.name}`: {bt['objective']:g}% estimated on the earlier half {held} on the "
            f"later half ({tested.get('good', 0):,} good of {tested.get('total', 0):,}"
            f"{windows}){spent}; the rules would have paged {bt.get('page_alerts', 0)} and "
            f"ticketed {bt.get('ticket_alerts', 0)} times")


def _incidents(s: SloSummary) -> str | None:
    found = (s.incidents or {}).get("found") or []
    if not found:
        return None
    way = "left out of" if (s.incidents or {}).get("excluded", True) else "kept in"
    other = (s.incidents or {}).get("objective_the_other_way")
    alternative = f" (the other way: {other:g}%)" if isinstance(other, int | float) else ""
    return f"`{s.name}`: {len(found)} incident(s) {way} the estimate{alternative}"


def render(
    target: Target, *, slos: Sequence[SloSummary], before: Sequence[SloSummary] | None,
    files: Sequence[str], prefix: str, title: str | None, report_url: str | None,
    version: str,
) -> PullRequestText:
    """``before``: the SLOs the repository held (None: nothing delivered there yet)."""
    service, environment = target.values["service"], target.values["environment"]
    lines = [
        MARKER.format(**target.values),
        f"SLO Scout {version} delivers the SLOs of **{service}** in **{environment}** "
        f"(team {target.values['team']}) under `{prefix}/`.",
        "",
        "| SLO | SLI | objective | window | requests measured | 95% interval | "
        "error budget per window | source |",
        "|---|---|---|---|---|---|---|---|",
        *(_row(s) for s in slos),
        "",
        "### Targets against the last delivery",
    ]
    if before is None:
        lines.append("First delivery of these SLOs to this repository.")
    else:
        lines.extend(f"- {line}" for line in target_changes(list(before), list(slos))
                     or ["No target changed."])
    backtests = [line for line in map(_backtest, slos) if line]
    if backtests:
        lines += ["", "### Backtest: each target on its own history",
                  *(f"- {line}" for line in backtests)]
    incidents = [line for line in map(_incidents, slos) if line]
    if incidents:
        lines += ["", "### Incidents", *(f"- {line}" for line in incidents)]
    lines += ["", f"### Files ({len(files)})", *(f"- `{path}`" for path in files)]
    if report_url:
        lines += ["", f"Evidence, journeys and charts: [the report]({report_url})."]
    lines += ["", "Only the files above change. Rules passed `promtool check rules` and every "
              "spec `slo-scout validate` before this was pushed."]
    return PullRequestText(title or f"SLOs for {service} in {environment}", "\n".join(lines))
