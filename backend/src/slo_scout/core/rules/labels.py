"""The SLO identity labels of every generated rule, and the PromQL filter that selects them."""

from __future__ import annotations

from slo_scout.core import conventions as c
from slo_scout.core.specs.model import Labels, SLOSpec, merge_labels


def id_labels(slo: SLOSpec) -> Labels:
    return merge_labels(
        {c.SLO_ID_LABEL: slo.id, c.SLO_NAME_LABEL: slo.name, c.SLO_SERVICE_LABEL: slo.service}
    )


def label_filter(labels: Labels) -> str:
    """`{a="1", b="2"}` as Sloth's LabelsToPromFilter writes it."""
    return "{" + ", ".join(f'{k}="{_escape(v)}"' for k, v in labels) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
