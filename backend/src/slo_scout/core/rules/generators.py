"""The rule generators, one small step each, chained as Sloth's core SLO plugins are.

Order: validate -> SLI recording rules -> metadata recording rules -> alert rules. Each has a
versioned id mirroring Sloth's plugin id (`sloth.dev/core/sli_rules/v1` here is
`slo-scout/core/sli_rules/v1`), takes the request and the rules so far, and returns new rules.
Expressions are Sloth's templates verbatim, so rule files are byte-comparable with Sloth's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from slo_scout.core import conventions as c
from slo_scout.core.errors import SpecError
from slo_scout.core.rules import calendar
from slo_scout.core.rules.burn import MWMBAlert
from slo_scout.core.rules.gofloat import go_f, go_g
from slo_scout.core.rules.labels import burn_annotations, id_labels, label_filter
from slo_scout.core.rules.model import GenerationRequest, Rule, SLORules
from slo_scout.core.rules.policy_alerts import policy_alert_rules
from slo_scout.core.specs.durations import format_duration, go_hours
from slo_scout.core.specs.model import (
    CalendarWindow,
    Labels,
    SLIEvents,
    SLIRaw,
    SLOSpec,
    merge_labels,
)
from slo_scout.core.specs.validation import SLOValidator, promql_problem, render_window

__all__ = ["id_labels", "label_filter"]


class RuleGenerator(Protocol):
    @property
    def id(self) -> str: ...

    def __call__(self, request: GenerationRequest, rules: SLORules) -> SLORules: ...


@dataclass(frozen=True)
class ValidateGenerator:
    id: str = "slo-scout/core/validate/v1"

    def __call__(self, request: GenerationRequest, rules: SLORules) -> SLORules:
        errors = SLOValidator(source="<slo>", document=None, paths={}).check(request.slo)
        if errors:
            raise SpecError(
                f"invalid SLO {request.slo.id!r}: {errors[0].reason}", field=errors[0].field
            )
        return rules


@dataclass(frozen=True)
class SLIRulesGenerator:
    """One `slo:sli_error:ratio_rate<window>` rule per alert window, plus the whole period.

    The period rule is optimised as Sloth does: the mean of the 5m SLI over the period
    (`sum_over_time / count_over_time`) instead of re-running the raw query over 30 days.
    """

    optimized: bool = True
    id: str = "slo-scout/core/sli_rules/v1"

    def __call__(self, request: GenerationRequest, rules: SLORules) -> SLORules:
        slo, alerts = request.slo, request.alerts
        out = [_sli_rule(slo, window) for window in sli_windows(request)]
        if slo.calendar is not None:
            out.append(_calendar_sli_rule(slo, slo.calendar))
        elif self.optimized:
            out.append(_optimized_sli_rule(slo, slo.period_ms, alerts.page_quick.short_ms))
        else:
            out.append(_sli_rule(slo, slo.period_ms))
        return replace(rules, sli_recordings=tuple(out))


def sli_windows(request: GenerationRequest) -> list[int]:
    """The SLI windows recorded besides the period: the alert windows (Sloth's), those of
    OpenSLO alert policies, and the step a calendar period is averaged over; shortest first."""
    slo = request.slo
    windows = set(request.alerts.windows())
    for policy in slo.policy_alerts:
        for condition in policy.conditions:
            windows |= {condition.short_ms, condition.long_ms}
    if slo.calendar is not None:
        windows.add(calendar.step_ms(slo.calendar))
    windows.discard(slo.period_ms)
    return sorted(windows)


def period_window(slo: SLOSpec) -> str:
    """The period's window name: `30d`, or the calendar spelling (`1M`) for calendar periods."""
    return slo.calendar.label if slo.calendar is not None else format_duration(slo.period_ms)


def _calendar_sli_rule(slo: SLOSpec, cal: CalendarWindow) -> Rule:
    window = period_window(slo)
    step = c.sli_error_metric(format_duration(calendar.step_ms(cal)))
    return Rule(
        record=c.sli_error_metric(window),
        expr=calendar.period_sli_expr(step + label_filter(id_labels(slo)), cal),
        labels=merge_labels(id_labels(slo), {c.SLO_WINDOW_LABEL: window}, slo.labels),
    )


def _sli_rule(slo: SLOSpec, window_ms: int) -> Rule:
    window = format_duration(window_ms)
    if isinstance(slo.sli, SLIEvents):
        expr = f"({slo.sli.error_query})\n/\n({slo.sli.total_query})\n"
    elif isinstance(slo.sli, SLIRaw):
        expr = f"({slo.sli.error_ratio_query})"
    else:
        raise SpecError(f"SLO {slo.id!r} has no SLI", field="sli")
    return Rule(
        record=c.sli_error_metric(window),
        expr=render_window(expr, window),
        labels=merge_labels(id_labels(slo), {c.SLO_WINDOW_LABEL: window}, slo.labels),
    )


def _optimized_sli_rule(slo: SLOSpec, window_ms: int, short_ms: int) -> Rule:
    if window_ms == short_ms:
        raise SpecError("can't optimize using the same short window as the window to optimize")
    window = format_duration(window_ms)
    metric = c.sli_error_metric(format_duration(short_ms)) + label_filter(id_labels(slo))
    expr = (
        f"sum_over_time({metric}[{window}])\n"
        f"/ ignoring ({c.SLO_WINDOW_LABEL})\n"
        f"count_over_time({metric}[{window}])\n"
    )
    return Rule(
        record=c.sli_error_metric(window),
        expr=expr,
        labels=merge_labels(id_labels(slo), {c.SLO_WINDOW_LABEL: window}, slo.labels),
    )


@dataclass(frozen=True)
class MetadataRulesGenerator:
    """Objective, budget, period, burn rates, budget remaining and the `sloth_slo_info` rule."""

    id: str = "slo-scout/core/metadata_rules/v1"

    def __call__(self, request: GenerationRequest, rules: SLORules) -> SLORules:
        slo, info = request.slo, request.info
        labels = merge_labels(id_labels(slo), slo.labels)
        ratio = slo.objective / 100
        slo_filter = label_filter(id_labels(slo))
        short = format_duration(request.alerts.page_quick.short_ms)

        def burn(window: str) -> str:
            return (
                f"{c.sli_error_metric(window)}{slo_filter}\n"
                f"/ on({c.SLO_ID_LABEL}, {c.SLO_NAME_LABEL}, {c.SLO_SERVICE_LABEL}) group_left\n"
                f"{c.ERROR_BUDGET_RATIO_METRIC}{slo_filter}\n"
            )

        info_labels = merge_labels(
            labels,
            {
                c.SLO_VERSION_LABEL: info.version,
                c.SLO_MODE_LABEL: info.mode,
                c.SLO_SPEC_LABEL: info.spec,
                c.SLO_OBJECTIVE_LABEL: go_f(slo.objective),
            },
        )
        meta = (
            Rule(record=c.OBJECTIVE_RATIO_METRIC, expr=f"vector({go_g(ratio)})", labels=labels),
            Rule(
                record=c.ERROR_BUDGET_RATIO_METRIC, expr=f"vector(1-{go_g(ratio)})", labels=labels
            ),
            Rule(
                record=c.TIME_PERIOD_DAYS_METRIC,
                expr=f"vector({go_g(go_hours(slo.period_ms) / 24)})",
                labels=labels,
            ),
            Rule(record=c.CURRENT_BURN_RATE_METRIC, expr=burn(short), labels=labels),
            Rule(record=c.PERIOD_BURN_RATE_METRIC, expr=burn(period_window(slo)), labels=labels),
            *_budget_remaining(slo, labels, slo_filter),
            Rule(record=c.SLO_INFO_METRIC, expr="vector(1)", labels=info_labels),
        )
        return replace(rules, meta_recordings=meta)


def _budget_remaining(slo: SLOSpec, labels: Labels, slo_filter: str) -> tuple[Rule, ...]:
    if slo.calendar is None:
        expr = f"1 - {c.PERIOD_BURN_RATE_METRIC}{slo_filter}"
        return (Rule(record=c.PERIOD_ERROR_BUDGET_REMAINING_METRIC, expr=expr, labels=labels),)
    ids = f"{c.SLO_ID_LABEL}, {c.SLO_NAME_LABEL}, {c.SLO_SERVICE_LABEL}"
    return (
        Rule(
            record=c.PERIOD_ELAPSED_METRIC, expr=calendar.elapsed_expr(slo.calendar), labels=labels
        ),
        Rule(
            record=c.PERIOD_ERROR_BUDGET_REMAINING_METRIC,
            expr=(
                f"1 - {c.PERIOD_BURN_RATE_METRIC}{slo_filter}\n"
                f"* on({ids})\n"
                f"{c.PERIOD_ELAPSED_METRIC}{slo_filter}\n"
            ),
            labels=labels,
        ),
    )


@dataclass(frozen=True)
class AlertRulesGenerator:
    """The page and ticket multi-window multi-burn-rate alerts (unless disabled in the spec)."""

    id: str = "slo-scout/core/alert_rules/v1"

    def __call__(self, request: GenerationRequest, rules: SLORules) -> SLORules:
        slo, alerts = request.slo, request.alerts
        out = list(policy_alert_rules(slo))
        if not slo.page_alert.disable:
            out.append(
                _alert_rule(
                    slo,
                    slo.page_alert.name,
                    slo.page_alert.labels,
                    slo.page_alert.annotations,
                    alerts.page_quick,
                    alerts.page_slow,
                    request.min_failures,
                )
            )
        if not slo.ticket_alert.disable:
            out.append(
                _alert_rule(
                    slo,
                    slo.ticket_alert.name,
                    slo.ticket_alert.labels,
                    slo.ticket_alert.annotations,
                    alerts.ticket_quick,
                    alerts.ticket_slow,
                    request.min_failures,
                )
            )
        return replace(rules, alerts=tuple(out))


def _failures(slo: SLOSpec, window_ms: int, min_failures: int) -> str:
    """``and`` at least ``min_failures`` failed events over the window (low traffic), from the
    spec's error query: a per-second rate, as Sloth's examples and SLO Scout's specs write it,
    so rate x window seconds is the count. Nothing for a raw ratio SLI, which has no count."""
    if min_failures <= 0 or not isinstance(slo.sli, SLIEvents):
        return ""
    query = slo.sli.error_query.replace("{{.window}}", format_duration(window_ms)).strip()
    return (
        f"\n    and on()\n    (({query}) * {go_g(window_ms / 1000)} >= {min_failures})"
    )


def _alert_rule(
    slo: SLOSpec, name: str, labels: Labels, annotations: Labels, quick: MWMBAlert,
    slow: MWMBAlert, min_failures: int = 0,
) -> Rule:
    metric_filter = label_filter(id_labels(slo))
    budget = go_g(quick.error_budget / 100)

    def cond(window_ms: int, factor: float) -> str:
        metric = c.sli_error_metric(format_duration(window_ms))
        return (
            f"    max({metric}{metric_filter} > ({go_g(factor)} * {budget})) "
            f"without ({c.SLO_WINDOW_LABEL})"
        )

    expr = (
        "(\n"
        f"{cond(quick.short_ms, quick.burn_rate_factor)}\n    and\n"
        f"{cond(quick.long_ms, quick.burn_rate_factor)}"
        f"{_failures(slo, quick.long_ms, min_failures)}\n"
        ")\nor\n(\n"
        f"{cond(slow.short_ms, slow.burn_rate_factor)}\n    and\n"
        f"{cond(slow.long_ms, slow.burn_rate_factor)}"
        f"{_failures(slo, slow.long_ms, min_failures)}\n"
        ")\n"
    )
    severity = quick.severity
    return Rule(
        alert=name,
        expr=expr,
        labels=merge_labels({c.SLO_SEVERITY_LABEL: severity}, labels),
        annotations=merge_labels(burn_annotations(severity), annotations),
    )


def check_expressions(rules: SLORules) -> None:
    """Every generated expression must parse before anything is written."""
    for rule in (*rules.sli_recordings, *rules.meta_recordings, *rules.alerts):
        problem = promql_problem(rule.expr)
        if problem is not None:
            raise SpecError(f"generated rule {rule.record or rule.alert!r}: {problem}")
