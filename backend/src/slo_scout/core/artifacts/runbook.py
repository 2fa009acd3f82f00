"""A Markdown runbook per SLO: what its alerts mean in numbers and where to look first.

The numbers come from the SLO itself: the budget in minutes and requests over the period, each
burn-rate alert's threshold and how long the whole budget would last at that rate, the PromQL
to run (the SLI with the window filled in, and the recording rules), the dashboard, and the
journey's likely suspects from its critical path (steps that dominate latency, steps that fail),
and, when the runtime has them, the error log templates logged in the journey's traces.

"Why this objective" gives the numbers the SLO has. For an approved SLO that is the approved
definition first; the analysis's recommendation follows as what was measured, with its own
numbers named as the recommendation's when a person changed them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from slo_scout.core.artifacts._render import render
from slo_scout.core.artifacts.model import BURN_WINDOWS, Slo, dashboard_uid
from slo_scout.core.journeys.model import StepShare
from slo_scout.core.recommend.stats import budget_events_30d, budget_minutes_30d
from slo_scout.core.specs.validation import render_window

GENERATOR = "runbook/v1"
SUSPECTS = 5
LOGGED_ERRORS = 20  # the most frequent templates a runbook lists
_TEMPLATE_CHARS = 200


@dataclass(frozen=True, slots=True)
class LoggedError:
    """An error log template seen in a journey's traces (mined by the streaming catalog job)."""

    service: str
    template: str
    occurrences: int  # how many of the journey's traces logged it
    first_seen: datetime
    last_seen: datetime

    @property
    def cell(self) -> str:
        """The template as a Markdown table cell: a code span, pipes escaped, long text cut."""
        text = " ".join(self.template.split())  # one table row, whatever the line held
        if len(text) > _TEMPLATE_CHARS:
            text = text[: _TEMPLATE_CHARS - 1] + "…"
        text = text.replace("|", "\\|")
        return f"`` {text} ``" if "`" in text else f"`{text}`"


def when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True, slots=True)
class BurnRow:
    severity: str
    burn_rate: float
    long_window: str
    short_window: str
    budget_share: float
    exhaust_hours: float

    @property
    def exhaust(self) -> str:
        if self.exhaust_hours < 48:
            return f"{self.exhaust_hours:.1f} hours"
        return f"{self.exhaust_hours / 24:.1f} days ({self.exhaust_hours:.0f} hours)"


def burn_rows(slo: Slo) -> list[BurnRow]:
    return [
        BurnRow(
            severity=w.severity,
            burn_rate=w.burn_rate(slo.period_days),
            long_window=w.long_window,
            short_window=w.short_window,
            budget_share=w.budget_share,
            exhaust_hours=slo.period_days * 24 / w.burn_rate(slo.period_days),
        )
        for w in BURN_WINDOWS
    ]


def _suspects(steps: tuple[StepShare, ...]) -> tuple[list[StepShare], list[StepShare]]:
    slow = sorted(steps, key=lambda s: (-s.share, s.service, s.operation))[:SUSPECTS]
    failing = [s for s in steps if s.error_ratio > 0]
    failing.sort(key=lambda s: (-s.error_ratio, s.service, s.operation))
    return slow, failing[:SUSPECTS]


def _within(threshold_s: float | None) -> str:
    return "succeed" if threshold_s is None else f"within {threshold_s:g} s"


def why(slo: Slo) -> list[str]:
    """The paragraphs of "Why this objective", approved definition first."""
    rec = slo.recommendation
    if not slo.approval:
        return [rec.rationale]
    out = [f"Approved: {slo.objective:g}% of requests {_within(slo.threshold_s)} over "
           f"{slo.period_days} days ({slo.approval})."]
    if slo.given_description and slo.given_description != rec.rationale:
        out.append(slo.given_description)
    if rec.evidence.total == 0:
        out.append(rec.rationale)
        return out
    changed = (rec.objective != slo.objective or rec.threshold_s != slo.threshold_s
               or slo.period_days != 30)
    if changed and rec.objective is not None:
        out.append(f"The analysis recommended {rec.objective:g}% of requests "
                   f"{_within(rec.threshold_s)} over 30 days; what it measured: "
                   f"{rec.rationale}")
    else:
        out.append(f"What the analysis measured: {rec.rationale}")
    return out


def render_runbook(slo: Slo, *, version: str, logged_errors: Sequence[LoggedError] = ()) -> str:
    """``logged_errors``: the error log templates of the journey's traces, most frequent first
    (the first :data:`LOGGED_ERRORS` are listed)."""
    rec = slo.recommendation
    events = rec.evidence.events_per_30d * slo.period_days / 30
    slow, failing = _suspects(slo.journey.critical_path)
    return render(
        "runbook.md.j2",
        version=version,
        generator=GENERATOR,
        slo=slo,
        rec=rec,
        budget_minutes=budget_minutes_30d(slo.objective) * slo.period_days / 30,
        budget_events=budget_events_30d(slo.objective, events),
        events=events,
        rows=burn_rows(slo),
        error_query=render_window(slo.sli.error_query, "1h"),
        total_query=render_window(slo.sli.total_query, "1h"),
        labels=f'sloth_service="{slo.service}", sloth_slo="{slo.name}"',
        dashboard_uid=dashboard_uid(slo.service),
        slow=slow,
        failing=failing,
        logged_errors=list(logged_errors)[:LOGGED_ERRORS],
        when=when,
        why=why(slo),
    )
