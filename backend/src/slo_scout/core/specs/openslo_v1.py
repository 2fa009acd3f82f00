"""OpenSLO `v1` SLOs (kind SLO with a ratioMetric SLI), which Sloth v0.16 does not read.

Mapping to the Sloth model, so the same rules come out:
- The SLI is the inline `spec.indicator` or the `SLI` document named by `spec.indicatorRef`
  (looked up among the documents of the same input, then of the other inputs of the run).
  `bad`+`total` become Sloth events (error/total queries); `good`+`total` become the raw error
  ratio `1 - (good / total)` exactly as Sloth maps OpenSLO v1alpha. Queries are
  `metricSource.spec.query` of a Prometheus source.
- Objectives: `target` (ratio) or `targetPercent`. One objective keeps the SLO name; several
  become `<name>-<index>` as Sloth does for v1alpha.
- `timeWindow`: rolling or calendar-aligned, see openslo_v1_windows.py.
- `alertPolicies` (inline or `alertPolicyRef`): their `burnrate` conditions are the alerts, with
  their own windows, thresholds and `alertAfter`, see openslo_v1_policies.py. No policy: no
  alerts, as Sloth does for v1alpha.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slo_scout.core.errors import SpecError
from slo_scout.core.specs._fields import Fields
from slo_scout.core.specs.model import SLIEvents, SLIRaw, SLOSpec
from slo_scout.core.specs.openslo_v1_objects import Objects
from slo_scout.core.specs.openslo_v1_policies import read_policies
from slo_scout.core.specs.openslo_v1_windows import openslo_duration, read_time_window
from slo_scout.core.specs.openslo_v1alpha import good_total_error_ratio, objective_validator
from slo_scout.core.specs.validation import SLOValidator, check_unique_ids

__all__ = ["API_VERSION", "openslo_duration", "read_openslo_v1"]

API_VERSION = "openslo/v1"


def read_openslo_v1(
    doc: Mapping[str, Any], *, source: str, document: int, period_ms: int, objects: Objects
) -> tuple[tuple[SLOSpec, ...], list[SpecError]]:
    """SLOs of a `kind: SLO` document; `objects` holds the documents it may refer to."""
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
    sli, sli_path = _indicator(spec, fields, objects)
    period, calendar = read_time_window(spec, fields, period_ms)
    policies = read_policies(spec, fields, objects)
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
            policy_alerts=policies,
            calendar=calendar,
        )
        slos.append(slo)
        validator = objective_validator(
            source,
            document,
            where,
            {
                "period": "spec.timeWindow",
                "sli": sli_path,
                "sli.error_query": f"{sli_path}.bad",
                "sli.total_query": f"{sli_path}.total",
                "sli.error_ratio_query": sli_path,
                "policy_alerts": "spec.alertPolicies",
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
    spec: Mapping[str, Any], fields: Fields, objects: Objects
) -> tuple[SLIEvents | SLIRaw, str]:
    if spec.get("indicatorRef") is not None:
        ref = fields.string(spec, "indicatorRef", "spec")
        indicator = objects.find("SLI", ref, fields, "spec.indicatorRef")
        path = "spec.indicatorRef"
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
