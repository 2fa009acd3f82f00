"""Pyrra ``ServiceLevelObjective`` CRDs (pyrra.dev/v1alpha1), one file per service.

Availability SLOs use Pyrra's ``ratio`` indicator (errors/total counter selectors); latency SLOs
use its ``latency`` indicator (``success`` is the ``_bucket`` series at the threshold's ``le``,
``total`` the ``_count``). Pyrra reads ``le`` from an equality matcher, so it is written as
Prometheus 2 exposes it (``le="100"``); on Prometheus 3, whose classic histograms say
``le="100.0"``, edit the matcher or use the Sloth/OpenSLO files, which match both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slo_scout.core.artifacts._render import dump_yaml_documents, render
from slo_scout.core.artifacts.model import Slo, dashboard_uid
from slo_scout.core.slis import SliKind, format_le

GENERATOR = "pyrra/v1alpha1"


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def selector(metric: str, matchers: Sequence[tuple[str, str, str]]) -> str:
    inner = ",".join(f"{label}{op}{_quote(value)}" for label, op, value in matchers)
    return f"{metric}{{{inner}}}"


def _indicator(slo: Slo) -> dict[str, Any]:
    family = slo.sli.family
    matchers = slo.sli.matchers
    if slo.sli.kind is SliKind.LATENCY:
        assert slo.sli.le is not None
        bucket = (*matchers, ("le", "=", format_le(slo.sli.le)))
        return {
            "latency": {
                "success": {"metric": selector(family.histogram + "_bucket", bucket)},
                "total": {"metric": selector(family.histogram + "_count", matchers)},
            }
        }
    requests = family.calls if family.calls is not None else family.histogram + "_count"
    errors = (*matchers, (family.error_label, family.error_match, family.error_value))
    return {
        "ratio": {
            "errors": {"metric": selector(requests, errors)},
            "total": {"metric": selector(requests, matchers)},
        }
    }


def pyrra_document(slo: Slo, *, namespace: str = "monitoring") -> dict[str, Any]:
    annotations = {
        "pyrra.dev/runbook": slo.runbook_path,
        "pyrra.dev/dashboard": f"/d/{dashboard_uid(slo.service)}",
    }
    if slo.provisional_source:
        annotations["slo-scout.dev/provisional"] = slo.provisional_source
    return {
        "apiVersion": "pyrra.dev/v1alpha1",
        "kind": "ServiceLevelObjective",
        "metadata": {
            "name": slo.name,
            "namespace": namespace,
            "labels": {
                "prometheus": "k8s",
                "role": "alert-rules",
                "pyrra.dev/service": slo.service,
            },
            "annotations": annotations,
        },
        "spec": {
            "target": f"{slo.objective:g}",
            "window": f"{slo.period_days}d",
            "description": slo.description,
            "indicator": _indicator(slo),
        },
    }


def render_pyrra(
    service: str, slos: Sequence[Slo], *, version: str, namespace: str = "monitoring"
) -> str:
    docs = [pyrra_document(s, namespace=namespace) for s in slos]
    return render(
        "yaml_file.yaml.j2",
        version=version,
        generator=GENERATOR,
        about=f"Pyrra ServiceLevelObjectives for service {service}.",
        body=dump_yaml_documents(docs).rstrip("\n"),
    )
