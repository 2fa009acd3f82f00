"""SLO specs: the model every input format is read into, readers and Sloth's validation.

Public entry point: `read_documents(text, source=..., period_ms=...)` gives one
`DocumentResult` per YAML document (Sloth prometheus/v1, the sloth.slok.dev/v1 CRD, OpenSLO
v1alpha and v1, Pyrra), each with the `ServiceSpec` read or the `SpecError`s found.
"""

from slo_scout.core.specs.documents import DocumentResult, read_documents
from slo_scout.core.specs.durations import format_duration, parse_duration
from slo_scout.core.specs.model import (
    AlertMeta,
    KubernetesMeta,
    Labels,
    ServiceSpec,
    SLIEvents,
    SLIRaw,
    SLOSpec,
    SpecKind,
)

__all__ = [
    "AlertMeta",
    "DocumentResult",
    "KubernetesMeta",
    "Labels",
    "SLIEvents",
    "SLIRaw",
    "SLOSpec",
    "ServiceSpec",
    "SpecKind",
    "format_duration",
    "parse_duration",
    "read_documents",
]
