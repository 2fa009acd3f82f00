"""The SLO identity labels of every generated rule, the PromQL filter that selects them, and the
annotations Sloth gives its burn-rate alerts."""

from __future__ import annotations

from slo_scout.core import conventions as c
from slo_scout.core.specs.model import Labels, SLOSpec, merge_labels


def id_labels(slo: SLOSpec) -> Labels:
    return merge_labels(
        {c.SLO_ID_LABEL: slo.id, c.SLO_NAME_LABEL: slo.name, c.SLO_SERVICE_LABEL: slo.service}
    )


def burn_annotations(severity: str) -> Labels:
    """Sloth's title and summary of a burn-rate alert (templated on the alert's labels)."""
    service, slo_label = c.SLO_SERVICE_LABEL, c.SLO_NAME_LABEL
    return merge_labels({
        "title": f"({severity}) {{{{$labels.{service}}}}} {{{{$labels.{slo_label}}}}} SLO error "
        "budget burn rate is too fast.",
        "summary": f"{{{{$labels.{service}}}}} {{{{$labels.{slo_label}}}}} SLO error budget burn "
        "rate is over expected.",
    })


def label_filter(labels: Labels) -> str:
    """`{a="1", b="2"}` as Sloth's LabelsToPromFilter writes it."""
    return "{" + ", ".join(f'{k}="{_escape(v)}"' for k, v in labels) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
