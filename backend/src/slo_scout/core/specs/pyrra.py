"""Validation of Pyrra `pyrra.dev/v1alpha1` ServiceLevelObjective documents.

SLO Scout writes Pyrra CRDs (core/artifacts) and checks them, and hand-written ones, with the
rules Pyrra's admission webhook applies: a name; `spec.target` a number in (0, 100) written as
a string; `spec.window` a Prometheus duration; exactly one indicator (`ratio`, `latency`,
`latencyNative` or `bool_gauge`) whose metrics parse as PromQL, and a latency `success` metric
that selects a histogram bucket (`le` matcher). Pyrra specs are validated, not turned into rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slo_scout.core.errors import SpecError
from slo_scout.core.specs._fields import Fields
from slo_scout.core.specs.durations import parse_duration
from slo_scout.core.specs.validation import name_problem, promql_problem

API_VERSION = "pyrra.dev/v1alpha1"
KIND = "ServiceLevelObjective"
_INDICATORS = {
    "ratio": ("errors", "total"),
    "latency": ("success", "total"),
    "latencyNative": ("total",),
    "bool_gauge": (),
}


def check_pyrra(doc: Mapping[str, Any], *, source: str, document: int) -> list[SpecError]:
    """Every problem of one Pyrra ServiceLevelObjective document."""
    fields = Fields(source=source, document=document)
    errors: list[SpecError] = []
    meta = fields.mapping(doc.get("metadata"), "metadata")
    problem = name_problem(fields.string(meta, "name", "metadata"))
    if problem is not None:
        errors.append(fields.error(f"invalid name: {problem}", "metadata.name"))
    spec = fields.mapping(doc.get("spec"), "spec")
    errors.extend(_target_problems(spec, fields))
    window = fields.string(spec, "window", "spec")
    try:
        if parse_duration(window) <= 0:
            errors.append(fields.error("window is required", "spec.window"))
    except ValueError as exc:
        errors.append(fields.error(str(exc), "spec.window"))
    indicator = fields.mapping(spec.get("indicator"), "spec.indicator")
    present = [kind for kind in _INDICATORS if indicator.get(kind) is not None]
    if len(present) != 1:
        errors.append(
            fields.error(
                "exactly one indicator is required: ratio, latency, latencyNative or bool_gauge",
                "spec.indicator",
            )
        )
        return errors
    kind = present[0]
    body = fields.mapping(indicator.get(kind), f"spec.indicator.{kind}")
    parts = _INDICATORS[kind] or ("",)
    for part in parts:
        path = f"spec.indicator.{kind}.{part}" if part else f"spec.indicator.{kind}"
        holder = fields.mapping(body.get(part), path) if part else body
        metric = fields.string(holder, "metric", path)
        if not metric:
            errors.append(fields.error("metric is required", f"{path}.metric"))
            continue
        problem = promql_problem(metric)
        if problem is not None:
            errors.append(fields.error(problem, f"{path}.metric"))
        elif kind == "latency" and part == "success" and 'le="' not in metric.replace(" ", ""):
            errors.append(
                fields.error("latency success metric needs an le matcher", f"{path}.metric")
            )
    return errors


def _target_problems(spec: Mapping[str, Any], fields: Fields) -> list[SpecError]:
    raw = spec.get("target")
    if raw is None or raw == "":
        return [fields.error("target is required", "spec.target")]
    try:
        target = float(raw)
    except (TypeError, ValueError):
        return [fields.error(f"target {raw!r} is not a number", "spec.target")]
    if not 0 < target < 100:
        return [fields.error(f"target must be between 0 and 100, got {raw}", "spec.target")]
    return []
