"""`promtool test rules` suites that prove the generated alerts fire when they should.

For an SLO with an events SLI, the suite feeds two counters (the bad and the good requests the
SLI queries select, at a constant request rate) through three scenarios on the real rule file:

- `sustained`: healthy traffic, then errors at a burn rate above the page threshold (14.4x for
  30 days) for long enough: the page alert fires.
- `spike`: a short burst of errors at a high ratio: the page alert stays silent (the long window
  dilutes it), whatever the ticket alert does.
- `within_budget`: errors below the budget (0.5x) all along: nothing fires.

Expected alerts at each evaluation time are computed from the ideal window ratios (errors over
traffic within each window) and the alert conditions, so the page and ticket expectations are
derived, not written by hand; a time whose ratios sit within 10% of a threshold is refused.

Counters count whole requests (`counter_values`) from far above zero, and the suite orders the
SLO's groups (`group_eval_order`, alerts last), so what promtool computes is what the model
predicts; OpenSLO alert policies get their own suites (`policy_promtool_tests`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from slo_scout.core import conventions as c
from slo_scout.core.errors import SpecError
from slo_scout.core.rules.burn import MWMBAlert, MWMBAlertGroup
from slo_scout.core.rules.generators import id_labels
from slo_scout.core.specs.durations import MINUTE
from slo_scout.core.specs.model import AlertMeta, SLIEvents, SLOSpec, merge_labels

# Counters start this many minutes of traffic above zero. rate() extrapolates a window that
# reaches before the first sample by half a sample interval, or only to where the counter would
# have been zero when that is nearer; starting near zero, the good counter would take the second
# rule and the bad one the first, and their ratio would drift from the one the model predicts.
_BASE_MINUTES = 1000
_MARGIN = 0.10


@dataclass(frozen=True)
class Scenario:
    """Error ratio segments in burn-rate multiples of the budget: ((minutes, burn), ...)."""

    name: str
    segments: tuple[tuple[int, float], ...]
    eval_minutes: tuple[int, ...]


def default_scenarios(alerts: MWMBAlertGroup) -> tuple[Scenario, ...]:
    """The three scenarios, scaled to the SLO's page threshold and windows."""
    page = alerts.page_quick
    burn = page.burn_rate_factor * 1.25
    long_min = page.long_ms // MINUTE
    spike_min = max(page.short_ms // MINUTE * 2, 1)
    healthy = 6 * 60
    return (
        Scenario(
            "sustained",
            ((healthy, 0.0), (long_min * 2, burn)),
            (healthy + long_min + 10, healthy + long_min * 2),
        ),
        Scenario(
            "spike",
            ((healthy, 0.0), (spike_min, page.long_ms / page.short_ms * 2), (60, 0.0)),
            (healthy + spike_min + 2, healthy + spike_min + 30),
        ),
        Scenario("within_budget", ((healthy + long_min * 2, 0.5),), (healthy + long_min * 2,)),
    )


def build_suite(
    *,
    rule_file: str,
    slo: SLOSpec,
    alerts: MWMBAlertGroup,
    bad_series: str,
    good_series: str,
    requests_per_minute: int = 1_000_000,
    scenarios: tuple[Scenario, ...] | None = None,
) -> str:
    """YAML text of a promtool test file for `rule_file` (a path relative to the test file).

    `bad_series` and `good_series` are concrete series (`metric{label="value"}`) that the SLI's
    error query counts and does not count, respectively; the total query must count both.
    """
    if not isinstance(slo.sli, SLIEvents):
        raise SpecError(f"SLO {slo.id!r}: promtool suites need an events SLI", field="sli")
    budget = (100 - slo.objective) / 100
    unit = requests_per_minute * budget
    tests = []
    for scenario in scenarios or default_scenarios(alerts):
        for _segment_minutes, burn in scenario.segments:
            if not 0 <= burn * budget <= 1:
                raise SpecError(f"scenario {scenario.name}: error ratio outside [0, 1]")
        tests.append(
            {
                "name": f"{slo.id} {scenario.name}",
                "interval": "1m",
                "input_series": [
                    {
                        "series": bad_series,
                        "values": counter_values(
                            scenario.segments, requests_per_minute, unit, True
                        ),
                    },
                    {
                        "series": good_series,
                        "values": counter_values(
                            scenario.segments, requests_per_minute, unit, False
                        ),
                    },
                ],
                "alert_rule_test": _alert_tests(slo, alerts, scenario),
            }
        )
    return suite_yaml(slo, rule_file, tests)


def suite_yaml(slo: SLOSpec, rule_file: str, tests: list[dict[str, Any]]) -> str:
    """The ``promtool test rules`` file: the tests against ``rule_file``, one sample a minute."""
    suite = {
        "rule_files": [rule_file],
        "evaluation_interval": "1m",
        "group_eval_order": group_eval_order(slo),
        "tests": tests,
    }
    return yaml.safe_dump(suite, sort_keys=False, default_flow_style=False, width=1000)


def counter_values(
    segments: tuple[tuple[int, float], ...], requests_per_minute: int, unit: float, bad: bool
) -> str:
    """Expanding notation of the bad (or good) counter, one sample a minute from minute 0; `unit`
    is the bad requests a minute at a burn rate of 1.

    Counts are whole numbers, so promtool adds them up exactly: with fractional steps its running
    sum drifts by a few ULPs, and where the next segment starts from the exact value, one ULP
    below the drifted one, rate() sees a counter reset and a burst of a million errors.
    """
    parts, value = [], _BASE_MINUTES * requests_per_minute
    for index, (minutes, burn) in enumerate(segments):
        bad_count = round(burn * unit)
        step = bad_count if bad else requests_per_minute - bad_count
        start, count = (value, minutes) if index == 0 else (value + step, minutes - 1)
        parts.append(f"{start}+{step}x{count}")
        value = start + step * count
    return " ".join(parts)


def group_eval_order(slo: SLOSpec) -> list[str]:
    """The SLO's groups, alerts last: without an order promtool evaluates a file's groups in Go's
    random map order, so an alert would read the SLI of the minute before in some runs."""
    return [
        prefix + slo.id
        for prefix in (
            c.SLI_RECORDINGS_GROUP_PREFIX,
            c.META_RECORDINGS_GROUP_PREFIX,
            c.ALERTS_GROUP_PREFIX,
        )
    ]


def _ratio(scenario: Scenario, at_min: int, window_min: int) -> float:
    """Ideal burn rate (multiple of budget) over (at - window, at], data starting at minute 0."""
    start = max(at_min - window_min, 0)
    total = 0.0
    t = 0
    for minutes, burn in scenario.segments:
        lo, hi = max(t, start), min(t + minutes, at_min)
        if hi > lo:
            total += burn * (hi - lo)
        t += minutes
    return total / (at_min - start)


def _fires(scenario: Scenario, at_min: int, quick: MWMBAlert, slow: MWMBAlert) -> bool:
    """Whether the alert is firing; three-valued so only a truly undecidable time is refused."""

    def cond(alert: MWMBAlert, window_ms: int) -> bool | None:
        ratio = _ratio(scenario, at_min, window_ms // MINUTE)
        threshold = alert.burn_rate_factor
        if abs(ratio - threshold) < _MARGIN * threshold:
            return None
        return ratio > threshold

    def both(a: bool | None, b: bool | None) -> bool | None:
        if a is False or b is False:
            return False
        return None if a is None or b is None else True

    quick_on = both(cond(quick, quick.short_ms), cond(quick, quick.long_ms))
    slow_on = both(cond(slow, slow.short_ms), cond(slow, slow.long_ms))
    if quick_on is True or slow_on is True:
        return True
    if quick_on is None or slow_on is None:
        raise SpecError(
            f"scenario {scenario.name} at {at_min}m: a window ratio is within "
            f"{_MARGIN:.0%} of its threshold, too close to assert"
        )
    return False


def _alert_tests(slo: SLOSpec, alerts: MWMBAlertGroup, scenario: Scenario) -> list[dict[str, Any]]:
    series_labels = merge_labels(id_labels(slo), slo.labels)
    out = []
    names = {a.name for a in (slo.page_alert, slo.ticket_alert) if not a.disable}
    for at in scenario.eval_minutes:
        for name in sorted(names):
            expected = []
            for meta, quick, slow in (
                (slo.page_alert, alerts.page_quick, alerts.page_slow),
                (slo.ticket_alert, alerts.ticket_quick, alerts.ticket_slow),
            ):
                if meta.disable or meta.name != name or not _fires(scenario, at, quick, slow):
                    continue
                expected.append(_expected_alert(slo, meta, quick.severity, series_labels))
            out.append({"eval_time": f"{at}m", "alertname": name, "exp_alerts": expected})
    return out


def _expected_alert(
    slo: SLOSpec, meta: AlertMeta, severity: str, series_labels: tuple[tuple[str, str], ...]
) -> dict[str, dict[str, str]]:
    labels = merge_labels(series_labels, {c.SLO_SEVERITY_LABEL: severity}, meta.labels)
    title = f"({severity}) {slo.service} {slo.name} SLO error budget burn rate is too fast."
    summary = f"{slo.service} {slo.name} SLO error budget burn rate is over expected."
    annotations = merge_labels({"title": title, "summary": summary}, meta.annotations)
    return {"exp_labels": dict(labels), "exp_annotations": dict(annotations)}
