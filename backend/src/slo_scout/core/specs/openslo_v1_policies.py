"""OpenSLO v1 alert policies (inline or `alertPolicyRef`) and their `burnrate` conditions.

Each AlertPolicy becomes alert rules named after the policy; each of its AlertConditions
(inline or `conditionRef`) one multi-window burn-rate rule: long window `lookbackWindow`, short
window `lookbackWindow / 12` (the Google SRE workbook pairing that Sloth's windows follow:
1h/5m, 6h/30m, 1d/2h, 3d/6h), burn-rate factor `threshold`, comparison `op` (gte, gt, lte,
lt; Sloth's `>` when absent) and `for: alertAfter`. OpenSLO v1 allows one condition per policy;
several are accepted and give one rule each, all with the policy's name, so each keeps its own
`alertAfter`. Severities page/critical/high give `sloth_severity: page`;
ticket/warning/low/medium/info give `ticket`, so Sloth's routing keeps working.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slo_scout.core.specs._fields import Fields
from slo_scout.core.specs.model import BurnRateCondition, PolicyAlert, labels_of
from slo_scout.core.specs.openslo_v1_objects import Objects
from slo_scout.core.specs.openslo_v1_windows import openslo_duration

PAGE = frozenset({"page", "critical", "high"})
TICKET = frozenset({"ticket", "warning", "low", "medium", "info"})
OPS = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}


def read_policies(
    spec: Mapping[str, Any], fields: Fields, objects: Objects
) -> tuple[PolicyAlert, ...]:
    policies = []
    for index, raw in enumerate(fields.sequence(spec.get("alertPolicies"), "spec.alertPolicies")):
        path = f"spec.alertPolicies[{index}]"
        policy = _resolve(
            fields.mapping(raw, path), "AlertPolicy", "alertPolicyRef", path, fields, objects
        )
        meta = fields.mapping(policy.get("metadata"), f"{path}.metadata")
        policy_spec = fields.mapping(policy.get("spec"), f"{path}.spec")
        severity, conditions = _conditions(policy_spec, path, fields, objects)
        annotations = dict(fields.string_map(meta, "annotations", f"{path}.metadata"))
        description = fields.string(policy_spec, "description", f"{path}.spec")
        if description:
            annotations.setdefault("description", description)
        policies.append(
            PolicyAlert(
                name=fields.string(meta, "name", f"{path}.metadata"),
                severity=severity,
                conditions=conditions,
                labels=labels_of(flat_labels(meta, f"{path}.metadata", fields)),
                annotations=labels_of(annotations),
            )
        )
    return tuple(policies)


def _conditions(
    policy_spec: Mapping[str, Any], path: str, fields: Fields, objects: Objects
) -> tuple[str, tuple[BurnRateCondition, ...]]:
    raws = fields.sequence(policy_spec.get("conditions"), f"{path}.spec.conditions")
    if not raws:
        raise fields.error("at least one condition is required", f"{path}.spec.conditions")
    severities = set()
    out = []
    for index, raw in enumerate(raws):
        where = f"{path}.spec.conditions[{index}]"
        condition = _resolve(
            fields.mapping(raw, where), "AlertCondition", "conditionRef", where, fields, objects
        )
        cspec = fields.mapping(condition.get("spec"), f"{where}.spec")
        severities.add(_severity(fields.string(cspec, "severity", f"{where}.spec"), where, fields))
        name = fields.string(fields.mapping(condition.get("metadata"), where), "name", where)
        out.append(
            _burn_rate(
                fields.mapping(cspec.get("condition"), f"{where}.spec.condition"),
                name,
                f"{where}.spec.condition",
                fields,
            )
        )
    if len(severities) > 1:
        raise fields.error(
            "conditions of one policy must share a severity", f"{path}.spec.conditions"
        )
    return severities.pop(), tuple(out)


def _severity(text: str, where: str, fields: Fields) -> str:
    severity = text.lower()
    if severity in PAGE:
        return "page"
    if severity in TICKET:
        return "ticket"
    raise fields.error(
        f"unknown severity {severity!r} (page, critical, high, ticket, warning, low, medium, info)",
        f"{where}.spec.severity",
    )


def _burn_rate(cond: Mapping[str, Any], name: str, path: str, fields: Fields) -> BurnRateCondition:
    kind = fields.string(cond, "kind", path) or "burnrate"
    if kind.lower() != "burnrate":
        raise fields.error(
            f"condition kind {kind!r} is not supported (burnrate only)", f"{path}.kind"
        )
    op = fields.string(cond, "op", path) or "gt"
    if op not in OPS:
        raise fields.error(f"unknown op {op!r} (gte, gt, lte, lt)", f"{path}.op")
    if cond.get("threshold") is None:
        raise fields.error("threshold is required", f"{path}.threshold")
    threshold = fields.number(cond, "threshold", path)
    if threshold <= 0:
        raise fields.error("threshold must be a positive burn rate", f"{path}.threshold")
    return BurnRateCondition(
        name=name,
        threshold=threshold,
        long_ms=_duration(cond, "lookbackWindow", path, fields, required=True),
        op=OPS[op],
        alert_after_ms=_duration(cond, "alertAfter", path, fields, required=False),
    )


def _duration(
    cond: Mapping[str, Any], key: str, path: str, fields: Fields, *, required: bool
) -> int:
    text = fields.string(cond, key, path)
    if not text:
        if required:
            raise fields.error(f"{key} is required", f"{path}.{key}")
        return 0
    try:
        value = openslo_duration(text)
    except ValueError as exc:
        raise fields.error(str(exc), f"{path}.{key}") from exc
    if required and value <= 0:
        raise fields.error(f"{key} must be positive", f"{path}.{key}")
    return value


def _resolve(
    obj: Mapping[str, Any], kind: str, ref_key: str, path: str, fields: Fields, objects: Objects
) -> Mapping[str, Any]:
    if obj.get(ref_key) is None:
        return obj
    return objects.find(kind, fields.string(obj, ref_key, path), fields, f"{path}.{ref_key}")


def flat_labels(meta: Mapping[str, Any], path: str, fields: Fields) -> dict[str, str]:
    """OpenSLO v1 labels may hold a list of values; Prometheus labels hold one, comma-joined."""
    labels = fields.mapping(meta.get("labels"), f"{path}.labels")
    return {
        str(k): ",".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in labels.items()
    }
