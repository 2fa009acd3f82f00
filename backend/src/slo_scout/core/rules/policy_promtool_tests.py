"""`promtool test rules` suites that prove when OpenSLO alert policy alerts fire, and when not.

For every condition of every policy of an events SLO, the scenarios of `policy_scenarios` (a
sustained burn just above the threshold, half the threshold, a spike the long window dilutes, a
burst shorter than alertAfter) become test groups: the SLI's bad and good counters, and at the
minutes around every change the model predicts, the firing alerts of every policy
(`alert_rule_test`) and the pending ones (`promql_expr_test` on the `ALERTS` series the rule
evaluation writes), so the `for:` delay is seen both before and after it elapses. Every policy is
asserted in every scenario (all see the same traffic) except at a minute where its state is
undecided; the condition a scenario is built for is decided throughout, or the builder refuses.

The suite sets `group_eval_order` (SLI recordings before alerts): without it promtool evaluates
a file's groups in Go's random map order, and an alert would read the SLI of the minute before in
some runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slo_scout.core import conventions as c
from slo_scout.core.errors import SpecError
from slo_scout.core.rules.labels import id_labels, label_filter
from slo_scout.core.rules.policy_scenarios import (
    REQUESTS_PER_MINUTE,
    PolicyRule,
    Traffic,
    Tri,
    all_of,
    budget_of,
    firing,
    holds,
    policy_rules,
    policy_scenarios,
)
from slo_scout.core.rules.promtool_tests import counter_values, suite_yaml
from slo_scout.core.specs.model import Labels, SLIEvents, SLOSpec, merge_labels


def build_policy_suite(
    *,
    rule_file: str,
    slo: SLOSpec,
    bad_series: str,
    good_series: str,
    requests_per_minute: int = REQUESTS_PER_MINUTE,
) -> str:
    """YAML text of a promtool test file proving every alert policy of `slo` in `rule_file`.

    `bad_series` and `good_series` are concrete series that the SLI's error query counts and does
    not count; its total query must count both.
    """
    if not isinstance(slo.sli, SLIEvents):
        raise SpecError(f"SLO {slo.id!r}: promtool suites need an events SLI", field="sli")
    rules = policy_rules(slo)
    if not rules:
        raise SpecError(f"SLO {slo.id!r} has no alert policies", field="policy_alerts")
    _refuse_unpredictable(slo, rules)
    unit = requests_per_minute * budget_of(slo)
    tests = []
    for rule in rules:
        for scenario in policy_scenarios(slo, rule, requests_per_minute):
            traffic = Traffic(scenario.segments)
            states = [(r, *_timeline(r, traffic)) for r in rules]
            tests.append(
                {
                    "name": f"{rule.policy.name}/{rule.condition.name} {scenario.name}",
                    "interval": "1m",
                    "input_series": [
                        {
                            "series": series,
                            "values": counter_values(
                                scenario.segments, requests_per_minute, unit, bad
                            ),
                        }
                        for series, bad in ((bad_series, True), (good_series, False))
                    ],
                    "alert_rule_test": list(_alert_tests(slo, states, scenario.eval_minutes)),
                    "promql_expr_test": list(_pending_tests(slo, states, scenario.eval_minutes)),
                }
            )
    return suite_yaml(slo, rule_file, tests)


_State = tuple[PolicyRule, list[Tri], list[Tri]]


def _timeline(rule: PolicyRule, traffic: Traffic) -> tuple[list[Tri], list[Tri]]:
    held = holds(rule, traffic)
    return held, firing(rule, held)


def _names(states: list[_State]) -> list[str]:
    return sorted({rule.policy.name for rule, _, _ in states})


def _alert_tests(
    slo: SLOSpec, states: list[_State], minutes: tuple[int, ...]
) -> Iterator[dict[str, Any]]:
    for at in minutes:
        for name in _names(states):
            fired = [(rule, f[at]) for rule, _, f in states if rule.policy.name == name]
            if any(state is None for _, state in fired):
                continue
            expected = [_expected_alert(slo, rule) for rule, state in fired if state]
            yield {"eval_time": f"{at}m", "alertname": name, "exp_alerts": expected}


def _pending_tests(
    slo: SLOSpec, states: list[_State], minutes: tuple[int, ...]
) -> Iterator[dict[str, Any]]:
    """Pending alerts, through the ALERTS series the rule evaluation writes."""
    for at in minutes:
        for name in _names(states):
            pending = [
                all_of(h[at], not f[at] if f[at] is not None else None)
                for rule, h, f in states
                if rule.policy.name == name
            ]
            if None in pending:
                continue
            samples = {
                _pending_series(slo, rule)
                for (rule, _, _), state in zip(
                    (s for s in states if s[0].policy.name == name), pending, strict=True
                )
                if state
            }
            yield {
                "expr": f'ALERTS{{alertname="{name}", alertstate="pending"}}',
                "eval_time": f"{at}m",
                "exp_samples": [{"labels": s, "value": 1} for s in sorted(samples)],
            }


def _alert_labels(slo: SLOSpec, rule: PolicyRule) -> Labels:
    series = merge_labels(id_labels(slo), slo.labels)
    return merge_labels(series, {c.SLO_SEVERITY_LABEL: rule.policy.severity}, rule.policy.labels)


def _expected_alert(slo: SLOSpec, rule: PolicyRule) -> dict[str, dict[str, str]]:
    severity = rule.policy.severity
    title = f"({severity}) {slo.service} {slo.name} SLO error budget burn rate is too fast."
    summary = f"{slo.service} {slo.name} SLO error budget burn rate is over expected."
    annotations = merge_labels({"title": title, "summary": summary}, rule.policy.annotations)
    return {"exp_labels": dict(_alert_labels(slo, rule)), "exp_annotations": dict(annotations)}


def _pending_series(slo: SLOSpec, rule: PolicyRule) -> str:
    labels = merge_labels(
        _alert_labels(slo, rule), {"alertname": rule.policy.name, "alertstate": "pending"}
    )
    return "ALERTS" + label_filter(labels)


def _refuse_unpredictable(slo: SLOSpec, rules: tuple[PolicyRule, ...]) -> None:
    """Policies whose alerts a suite cannot predict.

    Templated labels or annotations expand at run time. Two conditions of one policy give two
    rules with the same name and labels, so their `ALERTS_FOR_STATE` series (value: when each
    became active) collide; Prometheus rejects the second sample at that time ("duplicate sample
    for timestamp"), and promtool stops the test there.
    """
    for policy in slo.policy_alerts:
        if len(policy.conditions) > 1:
            raise SpecError(
                f"policy {policy.name!r}: its {len(policy.conditions)} conditions give alert "
                "rules with the same name and labels, whose ALERTS_FOR_STATE series collide",
                field="policy_alerts",
            )
    for rule in rules:
        for key, value in rule.policy.labels + rule.policy.annotations:
            if "{{" in value:
                raise SpecError(
                    f"policy {rule.policy.name!r}: {key} is a template, which a suite cannot "
                    "predict",
                    field="policy_alerts",
                )
