"""Reading a YAML text with one or more spec documents, whatever their formats.

Each document is recognised by its header (`version: prometheus/v1`, `apiVersion`+`kind`) the way
Sloth's loaders match them, read into the model and validated. A bad document never hides the
good ones: every document gets its own result with its own errors. OpenSLO v1 SLOs may refer to
SLI, AlertPolicy and AlertCondition documents of the same text or, through `shared`, of the
other texts of the same run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from slo_scout.core.errors import SpecError
from slo_scout.core.specs.model import KubernetesMeta, ServiceSpec, SLOSpec, SpecKind
from slo_scout.core.specs.openslo_v1 import read_openslo_v1
from slo_scout.core.specs.openslo_v1_objects import (
    SUPPORT_KINDS,
    Objects,
    SharedObjects,
    support_objects,
)
from slo_scout.core.specs.openslo_v1alpha import read_openslo_v1alpha
from slo_scout.core.specs.pyrra import check_pyrra
from slo_scout.core.specs.sloth import read_kubernetes_v1, read_prometheus_v1

_OPENSLO_V1_OTHER_KINDS = {"Service", "DataSource", "AlertNotificationTarget"}


@dataclass(frozen=True)
class DocumentResult:
    """One document: its format, the SLOs read (None when there are none) and its problems."""

    index: int
    format: str
    spec: ServiceSpec | None
    errors: tuple[SpecError, ...]


def read_documents(
    text: str, *, source: str, period_ms: int, shared: SharedObjects | None = None
) -> list[DocumentResult]:
    """Results for every non-empty document of `text`, numbered from 1 in file order."""
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        err = SpecError(f"not valid YAML{where}: {getattr(exc, 'problem', exc)}", source=source)
        return [DocumentResult(0, "yaml", None, (err,))]
    objects = Objects(support_objects(docs), shared or SharedObjects())
    return [
        _read_one(doc, index, source=source, period_ms=period_ms, objects=objects)
        for index, doc in enumerate(docs, start=1)
    ]


def _read_one(
    doc: Any,
    index: int,
    *,
    source: str,
    period_ms: int,
    objects: Objects,
) -> DocumentResult:
    if not isinstance(doc, Mapping):
        err = SpecError("a spec document must be a mapping", source=source, document=index)
        return DocumentResult(index, "unknown", None, (err,))
    fmt = _format_of(doc)
    try:
        spec, errors = _dispatch(fmt, doc, index, source, period_ms, objects)
    except SpecError as exc:
        return DocumentResult(index, fmt, None, (exc,))
    unique = tuple({str(e): e for e in errors}.values())
    return DocumentResult(index, fmt, spec if not errors else None, unique)


def _format_of(doc: Mapping[str, Any]) -> str:
    if "version" in doc and "apiVersion" not in doc:
        return "sloth-prometheus"
    api, kind = str(doc.get("apiVersion")), str(doc.get("kind"))
    return {
        ("sloth.slok.dev/v1", "PrometheusServiceLevel"): "sloth-kubernetes",
        ("openslo/v1alpha", "SLO"): "openslo-v1alpha",
        ("openslo/v1", "SLO"): "openslo-v1",
        ("pyrra.dev/v1alpha1", "ServiceLevelObjective"): "pyrra",
    }.get((api, kind), "openslo-v1-support" if api == "openslo/v1" else "unknown")


def _dispatch(
    fmt: str,
    doc: Mapping[str, Any],
    index: int,
    source: str,
    period_ms: int,
    objects: Objects,
) -> tuple[ServiceSpec | None, list[SpecError]]:
    where = {"source": source, "document": index, "period_ms": period_ms}
    kmeta: KubernetesMeta | None = None
    slos: tuple[SLOSpec, ...]
    if fmt == "sloth-prometheus":
        slos, errors = read_prometheus_v1(doc, **where)  # type: ignore[arg-type]
        kind = SpecKind.PROMETHEUS_V1
    elif fmt == "sloth-kubernetes":
        slos, kmeta, errors = read_kubernetes_v1(doc, **where)  # type: ignore[arg-type]
        kind = SpecKind.KUBERNETES_V1
    elif fmt == "openslo-v1alpha":
        slos, errors = read_openslo_v1alpha(doc, **where)  # type: ignore[arg-type]
        kind = SpecKind.OPENSLO_V1ALPHA
    elif fmt == "openslo-v1":
        slos, errors = read_openslo_v1(doc, objects=objects, **where)  # type: ignore[arg-type]
        kind = SpecKind.OPENSLO_V1
    elif fmt == "pyrra":
        return None, check_pyrra(doc, source=source, document=index)
    elif fmt == "openslo-v1-support":
        if doc.get("kind") in SUPPORT_KINDS | _OPENSLO_V1_OTHER_KINDS:
            return None, []
        raise SpecError(
            f"unknown OpenSLO v1 kind {doc.get('kind')!r}",
            source=source,
            document=index,
            field="kind",
        )
    else:
        raise SpecError(
            "invalid spec, could not load with any of the supported spec types "
            "(Sloth prometheus/v1, sloth.slok.dev/v1 PrometheusServiceLevel, OpenSLO v1alpha/v1 "
            "SLO, Pyrra pyrra.dev/v1alpha1 ServiceLevelObjective)",
            source=source,
            document=index,
            field="apiVersion" if "apiVersion" in doc else None,
        )
    spec = ServiceSpec(kind=kind, slos=slos, source=source, document=index, kubernetes=kmeta)
    return spec, errors
