"""Readers for Sloth's own formats: `prometheus/v1` and the `PrometheusServiceLevel` CRD.

Both map to the model exactly as Sloth's loaders do (internal/storage/io/sloth.go and
k8s_sloth.go): the SLO id is `<service>-<name>`, service labels are overridden by SLO labels,
alert labels and annotations are the common `alerting` ones overridden by the page/ticket ones,
and the period is the one chosen on the command line (Sloth's `--default-slo-period`). Keys the
format does not define are ignored, as Sloth's YAML decoders ignore them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from slo_scout.core.errors import SpecError
from slo_scout.core.specs._fields import Fields
from slo_scout.core.specs.model import (
    AlertMeta,
    KubernetesMeta,
    SLIEvents,
    SLIRaw,
    SLOSpec,
    labels_of,
    merge_labels,
)
from slo_scout.core.specs.validation import SLOValidator, check_unique_ids

PROMETHEUS_V1 = "prometheus/v1"
KUBERNETES_API_VERSION = "sloth.slok.dev/v1"
KUBERNETES_KIND = "PrometheusServiceLevel"


@dataclass(frozen=True)
class _Keys:
    """The spelling of each key: snake_case in prometheus/v1, camelCase in the CRD."""

    error_query: str
    total_query: str
    error_ratio_query: str
    page_alert: str
    ticket_alert: str


_PROM_KEYS = _Keys("error_query", "total_query", "error_ratio_query", "page_alert", "ticket_alert")
_K8S_KEYS = _Keys("errorQuery", "totalQuery", "errorRatioQuery", "pageAlert", "ticketAlert")


def read_prometheus_v1(
    doc: Mapping[str, Any], *, source: str, document: int, period_ms: int
) -> tuple[tuple[SLOSpec, ...], list[SpecError]]:
    """SLOs of a `version: prometheus/v1` document and the problems found in them."""
    fields = Fields(source=source, document=document)
    version = fields.string(doc, "version", "")
    if version != PROMETHEUS_V1:
        raise fields.error(
            f"invalid spec version {version!r}, should be {PROMETHEUS_V1!r}", "version"
        )
    return _read_service(doc, "", fields, _PROM_KEYS, period_ms)


def read_kubernetes_v1(
    doc: Mapping[str, Any], *, source: str, document: int, period_ms: int
) -> tuple[tuple[SLOSpec, ...], KubernetesMeta, list[SpecError]]:
    """SLOs and object metadata of a `sloth.slok.dev/v1` PrometheusServiceLevel."""
    fields = Fields(source=source, document=document)
    meta = fields.mapping(doc.get("metadata"), "metadata")
    kmeta = KubernetesMeta(
        name=fields.string(meta, "name", "metadata"),
        namespace=fields.string(meta, "namespace", "metadata"),
        labels=labels_of(fields.string_map(meta, "labels", "metadata")),
        annotations=labels_of(fields.string_map(meta, "annotations", "metadata")),
    )
    errors: list[SpecError] = []
    if not kmeta.name:
        errors.append(fields.error("is required", "metadata.name"))
    spec = fields.mapping(doc.get("spec"), "spec")
    slos, slo_errors = _read_service(spec, "spec", fields, _K8S_KEYS, period_ms)
    return slos, kmeta, errors + slo_errors


def _read_service(
    spec: Mapping[str, Any], path: str, fields: Fields, keys: _Keys, period_ms: int
) -> tuple[tuple[SLOSpec, ...], list[SpecError]]:
    prefix = f"{path}." if path else ""
    service = fields.string(spec, "service", path)
    service_labels = fields.string_map(spec, "labels", path)
    raw_slos = fields.sequence(spec.get("slos"), f"{prefix}slos")
    if not raw_slos:
        raise fields.error("at least one SLO is required", f"{prefix}slos")
    slos = []
    errors: list[SpecError] = []
    for index, raw in enumerate(raw_slos):
        where = f"{prefix}slos[{index}]"
        slos.append(
            _read_slo(fields.mapping(raw, where), where, fields, keys, service, service_labels)
        )
        slos[-1] = replace(slos[-1], period_ms=period_ms)
        validator = SLOValidator(
            source=fields.source, document=fields.document, paths=_paths(where, keys, prefix)
        )
        errors.extend(validator.check(slos[-1]))
    group_validator = SLOValidator(
        source=fields.source, document=fields.document, paths={"name": f"{prefix}slos"}
    )
    check_unique_ids(tuple(slos), group_validator)
    return tuple(slos), errors + group_validator.errors


def _read_slo(
    raw: Mapping[str, Any],
    where: str,
    fields: Fields,
    keys: _Keys,
    service: str,
    service_labels: dict[str, str],
) -> SLOSpec:
    name = fields.string(raw, "name", where)
    sli_map = fields.mapping(raw.get("sli"), f"{where}.sli")
    events = fields.mapping(sli_map.get("events"), f"{where}.sli.events")
    raw_sli = fields.mapping(sli_map.get("raw"), f"{where}.sli.raw")
    sli: SLIEvents | SLIRaw | None = None
    if "events" in sli_map and "raw" in sli_map:
        raise fields.error("only one SLI type is allowed", f"{where}.sli")
    if "events" in sli_map:
        sli = SLIEvents(
            error_query=fields.string(events, keys.error_query, f"{where}.sli.events"),
            total_query=fields.string(events, keys.total_query, f"{where}.sli.events"),
        )
    elif "raw" in sli_map:
        sli = SLIRaw(fields.string(raw_sli, keys.error_ratio_query, f"{where}.sli.raw"))
    if "plugin" in sli_map:
        raise fields.error("SLI plugins are not supported by SLO Scout", f"{where}.sli.plugin")
    alerting = fields.mapping(raw.get("alerting"), f"{where}.alerting")
    return SLOSpec(
        id=f"{service}-{name}",
        name=name,
        service=service,
        objective=fields.number(raw, "objective", where),
        period_ms=0,
        sli=sli,
        description=fields.string(raw, "description", where),
        labels=merge_labels(service_labels, fields.string_map(raw, "labels", where)),
        page_alert=_alert(alerting, keys.page_alert, f"{where}.alerting", fields),
        ticket_alert=_alert(alerting, keys.ticket_alert, f"{where}.alerting", fields),
    )


def _alert(alerting: Mapping[str, Any], key: str, where: str, fields: Fields) -> AlertMeta:
    specific = fields.mapping(alerting.get(key), f"{where}.{key}")
    if fields.boolean(specific, "disable", f"{where}.{key}"):
        return AlertMeta(disable=True)
    return AlertMeta(
        disable=False,
        name=fields.string(alerting, "name", where),
        labels=merge_labels(
            fields.string_map(alerting, "labels", where),
            fields.string_map(specific, "labels", f"{where}.{key}"),
        ),
        annotations=merge_labels(
            fields.string_map(alerting, "annotations", where),
            fields.string_map(specific, "annotations", f"{where}.{key}"),
        ),
    )


def _paths(where: str, keys: _Keys, prefix: str) -> dict[str, str]:
    return {
        "id": f"{where}.name",
        "name": f"{where}.name",
        "service": f"{prefix}service",
        "period": "--default-slo-period",
        "objective": f"{where}.objective",
        "labels": f"{where}.labels",
        "sli": f"{where}.sli",
        "sli.error_query": f"{where}.sli.events.{keys.error_query}",
        "sli.total_query": f"{where}.sli.events.{keys.total_query}",
        "sli.error_ratio_query": f"{where}.sli.raw.{keys.error_ratio_query}",
        "page_alert.name": f"{where}.alerting.name",
        "page_alert.labels": f"{where}.alerting.{keys.page_alert}.labels",
        "page_alert.annotations": f"{where}.alerting.{keys.page_alert}.annotations",
        "ticket_alert.name": f"{where}.alerting.name",
        "ticket_alert.labels": f"{where}.alerting.{keys.ticket_alert}.labels",
        "ticket_alert.annotations": f"{where}.alerting.{keys.ticket_alert}.annotations",
    }
