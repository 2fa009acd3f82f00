"""Alert rules of OpenSLO alert policies: one multi-window burn-rate rule per condition.

Same shape, labels and annotations as Sloth's page/ticket alerts, with the condition's own
numbers: both the long window (`lookbackWindow`) and the short one (a twelfth of it) must be
over `threshold` times the error budget (`op` gives the comparison), for `alertAfter`.

    alert: <policy name>
    expr: |
      (
          max(slo:sli_error:ratio_rate5m{...} > (14.4 * 0.001)) without (sloth_window)
          and
          max(slo:sli_error:ratio_rate1h{...} > (14.4 * 0.001)) without (sloth_window)
      )
    for: 5m
    labels: {sloth_severity: page, <policy labels>}
"""

from __future__ import annotations

from collections.abc import Iterator

from slo_scout.core import conventions as c
from slo_scout.core.rules.gofloat import go_g
from slo_scout.core.rules.labels import burn_annotations, id_labels, label_filter
from slo_scout.core.rules.model import Rule
from slo_scout.core.specs.durations import format_duration
from slo_scout.core.specs.model import BurnRateCondition, PolicyAlert, SLOSpec, merge_labels


def policy_alert_rules(slo: SLOSpec) -> Iterator[Rule]:
    for policy in slo.policy_alerts:
        for condition in policy.conditions:
            yield _rule(slo, policy, condition)


def condition_expr(slo: SLOSpec, condition: BurnRateCondition) -> str:
    metric_filter = label_filter(id_labels(slo))
    budget = go_g((100 - slo.objective) / 100)

    def check(window_ms: int) -> str:
        metric = c.sli_error_metric(format_duration(window_ms))
        return (
            f"    max({metric}{metric_filter} {condition.op} ({go_g(condition.threshold)} * "
            f"{budget})) without ({c.SLO_WINDOW_LABEL})"
        )

    return f"(\n{check(condition.short_ms)}\n    and\n{check(condition.long_ms)}\n)\n"


def _rule(slo: SLOSpec, policy: PolicyAlert, condition: BurnRateCondition) -> Rule:
    severity = policy.severity
    return Rule(
        alert=policy.name,
        expr=condition_expr(slo, condition),
        for_duration=format_duration(condition.alert_after_ms) if condition.alert_after_ms else "",
        labels=merge_labels({c.SLO_SEVERITY_LABEL: severity}, policy.labels),
        annotations=merge_labels(burn_annotations(severity), policy.annotations),
    )
