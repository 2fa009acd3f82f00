"""OpenSLO `v1` SLOs (kind SLO with a ratioMetric SLI), which Sloth v0.16 does not read.

Mapping to the Sloth model, so the same rules come out:
- The SLI is the inline `spec.indicator` or the `SLI` document named by `spec.indicatorRef`
  (looked up among the documents of the same input). `bad`+`total` become Sloth events
  (error/total queries); `good`+`total` become the raw error ratio `1 - (good / total)` exactly
  as Sloth maps OpenSLO v1alpha. Queries are `metricSource.spec.query` of a Prometheus source.
- Objectives: `target` (ratio) or `targetPercent`. One objective keeps the SLO name; several
  become `<name>-<index>` as Sloth does for v1alpha.
- `timeWindow`: a rolling window's `duration` is the SLO period (`28d` gives Sloth's 28-day
  windows, 13.44/5.6/2.8/0.93 burn factors). A calendar window cannot be aligned to calendar
  boundaries by Prometheus range selectors, so it becomes a rolling window of its nominal length
  (1w = 7d, 1M = 30d, 1Q = 90d, 1Y = 365d); see docs/formats/sloth.md.
- `alertPolicies` (inline or `alertPolicyRef`) with `burnrate` AlertConditions switch on Sloth's
  multi-window multi-burn-rate alerts: a policy whose condition severity is page/critical/high
  gives the page alert, ticket/warning/low/medium/info the ticket alert, named after the policy,
  with its labels and annotations. No policy: no alerts, as Sloth does for v1alpha.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from slo_scout.core.errors import SpecError
from slo_scout.core.specs._fields import Fields
from slo_scout.core.specs.durations import DAY, HOUR, MINUTE, WEEK
from slo_scout.core.specs.model import AlertMeta, SLIEvents, SLIRaw, SLOSpec, labels_of
from slo_scout.core.specs.openslo_v1alpha import good_total_error_ratio
from slo_scout.core.specs.validation import SLOValidator, check_unique_ids

API_VERSION = "openslo/v1"
_DURATION_RE = re.compile(r"^(\d+)([mhdwMQY])$")
_UNIT_MS = {
    "m": MINUTE,
    "h": HOUR,
    "d": DAY,
    "w": WEEK,
    "M": 30 * DAY,
    "Q": 90 * DAY,
    "Y": 365 * DAY,
}
_PAGE = {"page", "critical", "high"}
_TICKET = {"ticket", "warning", "low", "medium", "info"}

Registry = Mapping[tuple[str, str], Mapping[str, Any]]


def openslo_duration(text: str) -> int:
    """Milliseconds of an OpenSLO duration (`28d`, `1M`); calendar units take nominal lengths."""
    match = _DURATION_RE.match(text)
    if match is None:
        raise ValueError(f"not an OpenSLO duration: {text!r}")
    return int(match.group(1)) * _UNIT_MS[match.group(2)]


def read_openslo_v1(
    doc: Mapping[str, Any], *, source: str, document: int, period_ms: int, registry: Registry
) -> tuple[tuple[SLOSpec, ...], list[SpecError]]:
    """SLOs of a `kind: SLO` document; `registry` holds the file's other documents by kind, name."""
    fields = Fields(source=source, document=document)
    name = fields.string(fields.mapping(doc.get("metadata"), "metadata"), "name", "metadata")
    spec = fields.mapping(doc.get("spec"), "spec")
    service = fields.string(spec, "service", "spec")
    budgeting = fields.string(spec, "budgetingMethod", "spec") or "Occurrences"
    if budgeting != "Occurrences":
        raise fields.error(
            f"budgetingMethod {budgeting!r} is not supported: the rules count occurrences",
            "spec.budgetingMethod",
        )
    sli, sli_path = _indicator(spec, fields, registry)
    period = _period(spec, fields, period_ms)
    page, ticket = _alerts(spec, fields, registry)
    objectives = fields.sequence(spec.get("objectives"), "spec.objectives")
    if not objectives:
        raise fields.error("at least one objective is required", "spec.objectives")
    slos: list[SLOSpec] = []
    errors: list[SpecError] = []
    for index, raw in enumerate(objectives):
        where = f"spec.objectives[{index}]"
        objective = fields.mapping(raw, where)
        slo_name = name if len(objectives) == 1 else f"{name}-{index}"
        slo = SLOSpec(
            id=f"{service}-{slo_name}",
            name=slo_name,
            service=service,
            objective=_objective(objective, where, fields),
            period_ms=period,
            sli=sli,
            description=fields.string(spec, "description", "spec"),
            page_alert=page,
            ticket_alert=ticket,
        )
        slos.append(slo)
        validator = SLOValidator(
            source=source,
            document=document,
            paths={
                "id": "metadata.name",
                "name": "metadata.name",
                "service": "spec.service",
                "objective": f"{where}.target",
                "period": "spec.timeWindow",
                "sli": sli_path,
                "sli.error_query": f"{sli_path}.bad",
                "sli.total_query": f"{sli_path}.total",
                "sli.error_ratio_query": sli_path,
                "page_alert.name": "spec.alertPolicies",
                "ticket_alert.name": "spec.alertPolicies",
            },
        )
        errors.extend(validator.check(slo))
    group = SLOValidator(source=source, document=document, paths={"name": "metadata.name"})
    check_unique_ids(tuple(slos), group)
    return tuple(slos), errors + group.errors


def _objective(objective: Mapping[str, Any], where: str, fields: Fields) -> float:
    if objective.get("targetPercent") is not None:
        return fields.number(objective, "targetPercent", where)
    if objective.get("target") is None:
        raise fields.error("target or targetPercent is required", f"{where}.target")
    return fields.number(objective, "target", where) * 100


def _indicator(
    spec: Mapping[str, Any], fields: Fields, registry: Registry
) -> tuple[SLIEvents | SLIRaw, str]:
    if spec.get("indicatorRef") is not None:
        ref = fields.string(spec, "indicatorRef", "spec")
        sli_doc = registry.get(("SLI", ref))
        if sli_doc is None:
            raise fields.error(f"no SLI document named {ref!r} in this input", "spec.indicatorRef")
        indicator, path = sli_doc, "spec.indicatorRef"
    elif spec.get("indicator") is not None:
        indicator, path = fields.mapping(spec.get("indicator"), "spec.indicator"), "spec.indicator"
    else:
        raise fields.error("indicator or indicatorRef is required", "spec.indicator")
    sli_spec = fields.mapping(indicator.get("spec"), f"{path}.spec")
    if sli_spec.get("ratioMetric") is None:
        raise fields.error("only ratioMetric indicators are supported", f"{path}.spec.ratioMetric")
    ratio_path = f"{path}.spec.ratioMetric"
    ratio = fields.mapping(sli_spec.get("ratioMetric"), ratio_path)
    queries = {
        part: _metric_query(ratio.get(part), f"{ratio_path}.{part}", fields)
        for part in ("good", "bad", "total")
        if ratio.get(part) is not None
    }
    if "total" not in queries:
        raise fields.error("total is required", f"{ratio_path}.total")
    if ("good" in queries) == ("bad" in queries):
        raise fields.error("exactly one of good or bad is required", ratio_path)
    if "bad" in queries:
        return SLIEvents(error_query=queries["bad"], total_query=queries["total"]), ratio_path
    return SLIRaw(good_total_error_ratio(queries["good"], queries["total"])), ratio_path


def _metric_query(raw: Any, path: str, fields: Fields) -> str:
    metric = fields.mapping(fields.mapping(raw, path).get("metricSource"), f"{path}.metricSource")
    source_type = fields.string(metric, "type", f"{path}.metricSource")
    if source_type.lower() != "prometheus":
        raise fields.error(
            f"metric source type {source_type!r} is not supported (Prometheus only)",
            f"{path}.metricSource.type",
        )
    spec = fields.mapping(metric.get("spec"), f"{path}.metricSource.spec")
    query = fields.string(spec, "query", f"{path}.metricSource.spec") or fields.string(
        spec, "promql", f"{path}.metricSource.spec"
    )
    if not query:
        raise fields.error("query is required", f"{path}.metricSource.spec.query")
    return query


def _period(spec: Mapping[str, Any], fields: Fields, default_ms: int) -> int:
    windows = fields.sequence(spec.get("timeWindow"), "spec.timeWindow")
    if not windows:
        return default_ms
    if len(windows) > 1:
        raise fields.error("only 1 time window is supported", "spec.timeWindow")
    window = fields.mapping(windows[0], "spec.timeWindow[0]")
    text = fields.string(window, "duration", "spec.timeWindow[0]")
    try:
        return openslo_duration(text)
    except ValueError as exc:
        raise fields.error(str(exc), "spec.timeWindow[0].duration") from exc


def _alerts(
    spec: Mapping[str, Any], fields: Fields, registry: Registry
) -> tuple[AlertMeta, AlertMeta]:
    found: dict[str, AlertMeta] = {}
    for index, raw in enumerate(fields.sequence(spec.get("alertPolicies"), "spec.alertPolicies")):
        path = f"spec.alertPolicies[{index}]"
        policy = _resolve(
            fields.mapping(raw, path), "AlertPolicy", "alertPolicyRef", path, fields, registry
        )
        meta = fields.mapping(policy.get("metadata"), f"{path}.metadata")
        policy_spec = fields.mapping(policy.get("spec"), f"{path}.spec")
        severity = _severity(policy_spec, path, fields, registry)
        if severity in found:
            raise fields.error(f"a second {severity} alert policy; one of each is supported", path)
        annotations = dict(fields.string_map(meta, "annotations", f"{path}.metadata"))
        description = fields.string(policy_spec, "description", f"{path}.spec")
        if description:
            annotations.setdefault("description", description)
        found[severity] = AlertMeta(
            disable=False,
            name=fields.string(meta, "name", f"{path}.metadata"),
            labels=labels_of(_flat_labels(meta, f"{path}.metadata", fields)),
            annotations=labels_of(annotations),
        )
    return found.get("page", AlertMeta()), found.get("ticket", AlertMeta())


def _severity(policy_spec: Mapping[str, Any], path: str, fields: Fields, registry: Registry) -> str:
    conditions = fields.sequence(policy_spec.get("conditions"), f"{path}.spec.conditions")
    if not conditions:
        raise fields.error("at least one condition is required", f"{path}.spec.conditions")
    severities = set()
    for index, raw in enumerate(conditions):
        where = f"{path}.spec.conditions[{index}]"
        condition = _resolve(
            fields.mapping(raw, where), "AlertCondition", "conditionRef", where, fields, registry
        )
        cspec = fields.mapping(condition.get("spec"), f"{where}.spec")
        kind = fields.string(
            fields.mapping(cspec.get("condition"), f"{where}.spec.condition"),
            "kind",
            f"{where}.spec.condition",
        )
        if kind.lower() != "burnrate":
            raise fields.error(
                f"condition kind {kind!r} is not supported (burnrate only)",
                f"{where}.spec.condition.kind",
            )
        severity = fields.string(cspec, "severity", f"{where}.spec").lower()
        if severity in _PAGE:
            severities.add("page")
        elif severity in _TICKET:
            severities.add("ticket")
        else:
            raise fields.error(
                f"unknown severity {severity!r} (page or ticket)", f"{where}.spec.severity"
            )
    if len(severities) > 1:
        raise fields.error(
            "conditions of one policy must share a severity", f"{path}.spec.conditions"
        )
    return severities.pop()


def _resolve(
    obj: Mapping[str, Any], kind: str, ref_key: str, path: str, fields: Fields, registry: Registry
) -> Mapping[str, Any]:
    if obj.get(ref_key) is None:
        return obj
    ref = fields.string(obj, ref_key, path)
    target = registry.get((kind, ref))
    if target is None:
        raise fields.error(f"no {kind} document named {ref!r} in this input", f"{path}.{ref_key}")
    return target


def _flat_labels(meta: Mapping[str, Any], path: str, fields: Fields) -> dict[str, str]:
    """OpenSLO v1 labels may hold a list of values; Prometheus labels hold one, comma-joined."""
    labels = fields.mapping(meta.get("labels"), f"{path}.labels")
    return {
        str(k): ",".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in labels.items()
    }
