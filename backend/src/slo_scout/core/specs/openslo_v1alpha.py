"""OpenSLO `v1alpha` SLOs, read the way Sloth reads them (internal/storage/io/openslo.go).

Each objective becomes one SLO named `<name>-<index>` with id `<service>-<name>-<index>`, its
`ratioMetrics` good/total queries become a raw error ratio `1 - (good / total)`, the objective is
`target * 100`, and alerts are disabled (v1alpha has no alerting). One time window in days is
allowed. SLO Scout adds one rule Sloth v0.16 does not have: the window must be the SLO period in
effect (`--default-slo-period`, 30 days unless changed), so a v1alpha file never silently
switches period; pass `--default-slo-period 28d` to read a 28-day v1alpha SLO.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slo_scout.core.errors import SpecError
from slo_scout.core.specs._fields import Fields
from slo_scout.core.specs.durations import DAY, format_duration
from slo_scout.core.specs.model import AlertMeta, SLIRaw, SLOSpec
from slo_scout.core.specs.validation import SLOValidator, check_unique_ids

API_VERSION = "openslo/v1alpha"

_ERROR_RATIO_TEMPLATE = """
  1 - (
    (
      {good}
    )
    /
    (
      {total}
    )
  )
"""


def good_total_error_ratio(good: str, total: str) -> str:
    """Sloth's mapping of good/total events to a raw error ratio query."""
    return _ERROR_RATIO_TEMPLATE.format(good=good, total=total)


def good_total_of(error_ratio_query: str) -> tuple[str, str] | None:
    """The good and total queries of a ratio ``good_total_error_ratio`` wrote, else None
    (what counts events, as ``slo-scout backtest`` needs, for an OpenSLO ratio metric)."""
    head = _ERROR_RATIO_TEMPLATE.split("{good}")[0]
    middle, tail = _ERROR_RATIO_TEMPLATE.split("{good}")[1].split("{total}")
    if not (error_ratio_query.startswith(head) and error_ratio_query.endswith(tail)):
        return None
    parts = error_ratio_query[len(head):len(error_ratio_query) - len(tail)].split(middle)
    return (parts[0], parts[1]) if len(parts) == 2 else None


def objective_validator(
    source: str, document: int, where: str, paths: Mapping[str, str]
) -> SLOValidator:
    """The validator of the SLO read from the OpenSLO objective at ``where``.

    Both OpenSLO versions name the SLO after ``metadata.name`` and keep ``service`` and the
    objective's ``target`` at the same paths; ``paths`` adds the version's own fields.
    """
    return SLOValidator(
        source=source,
        document=document,
        paths={
            "id": "metadata.name",
            "name": "metadata.name",
            "service": "spec.service",
            "objective": f"{where}.target",
            **paths,
        },
    )


def read_openslo_v1alpha(
    doc: Mapping[str, Any], *, source: str, document: int, period_ms: int
) -> tuple[tuple[SLOSpec, ...], list[SpecError]]:
    fields = Fields(source=source, document=document)
    meta = fields.mapping(doc.get("metadata"), "metadata")
    name = fields.string(meta, "name", "metadata")
    spec = fields.mapping(doc.get("spec"), "spec")
    service = fields.string(spec, "service", "spec")
    objectives = fields.sequence(spec.get("objectives"), "spec.objectives")
    if not objectives:
        raise fields.error("at least one SLO is required", "spec.objectives")
    _check_time_window(spec, fields, period_ms)
    slos: list[SLOSpec] = []
    errors: list[SpecError] = []
    for index, raw in enumerate(objectives):
        where = f"spec.objectives[{index}]"
        objective = fields.mapping(raw, where)
        if objective.get("target") is None:
            raise fields.error("target is required", f"{where}.target")
        slo = SLOSpec(
            id=f"{service}-{name}-{index}",
            name=f"{name}-{index}",
            service=service,
            objective=fields.number(objective, "target", where) * 100,
            period_ms=period_ms,
            sli=SLIRaw(_ratio_query(objective, where, fields)),
            description=fields.string(spec, "description", "spec"),
            page_alert=AlertMeta(disable=True),
            ticket_alert=AlertMeta(disable=True),
        )
        slos.append(slo)
        validator = objective_validator(
            source,
            document,
            where,
            {"sli": f"{where}.ratioMetrics", "sli.error_ratio_query": f"{where}.ratioMetrics"},
        )
        errors.extend(validator.check(slo))
    group = SLOValidator(source=source, document=document, paths={"name": "metadata.name"})
    check_unique_ids(tuple(slos), group)
    return tuple(slos), errors + group.errors


def _check_time_window(spec: Mapping[str, Any], fields: Fields, period_ms: int) -> None:
    windows = fields.sequence(spec.get("timeWindows"), "spec.timeWindows")
    if not windows:
        return
    if len(windows) > 1:
        raise fields.error("only 1 time window is supported", "spec.timeWindows")
    window = fields.mapping(windows[0], "spec.timeWindows[0]")
    if fields.string(window, "unit", "spec.timeWindows[0]").lower() != "day":
        raise fields.error("only days based time windows are supported", "spec.timeWindows[0].unit")
    count = fields.number(window, "count", "spec.timeWindows[0]")
    if count * DAY != period_ms:
        raise fields.error(
            f"a {count:g} day time window is not the SLO period in effect "
            f"({format_duration(period_ms)}); openslo/v1alpha SLOs must use that period "
            f"(choose another with --default-slo-period)",
            "spec.timeWindows[0].count",
        )


def _ratio_query(objective: Mapping[str, Any], where: str, fields: Fields) -> str:
    ratio = objective.get("ratioMetrics")
    if ratio is None:
        raise fields.error("missing ratioMetrics", f"{where}.ratioMetrics")
    ratio = fields.mapping(ratio, f"{where}.ratioMetrics")
    queries = {}
    for part in ("good", "total"):
        path = f"{where}.ratioMetrics.{part}"
        metric = fields.mapping(ratio.get(part), path)
        if fields.string(metric, "source", path) not in ("prometheus", "sloth"):
            raise fields.error(f"prometheus or sloth query ratio {part!r} source is required", path)
        query_type = fields.string(metric, "queryType", path)
        if query_type != "promql":
            raise fields.error(
                f"unsupported {part!r} indicator query type: {query_type!r}", f"{path}.queryType"
            )
        queries[part] = fields.string(metric, "query", path)
    return good_total_error_ratio(queries["good"], queries["total"])
