"""Sloth ``prometheus/v1`` specs and the ``PrometheusServiceLevel`` CRD, one file per service.

The plain spec uses snake_case fields (``error_query``, ``page_alert``); the CRD uses Sloth's
camelCase (``errorQuery``, ``pageAlert``). Alert labels carry ``severity`` for routing and the
annotations point at the runbook and the dashboard, which Sloth copies onto every alert.

Neither format has a period field: Sloth takes it from ``--default-slo-period`` (30 days unless
given), so a file holds the SLOs of one period and its header says which flag it needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slo_scout.core.artifacts._render import dump_yaml, render
from slo_scout.core.artifacts.model import DEFAULT_OWNER, Slo, dashboard_uid

GENERATOR = "sloth-spec/v1"
SEVERITY = {"page": "critical", "ticket": "warning"}


def _slo_document(slo: Slo, *, camel: bool) -> dict[str, Any]:
    def key(snake: str, camel_name: str) -> str:
        return camel_name if camel else snake

    labels = {"slo_scout_journey": slo.journey.id, "slo_scout_sli": slo.sli.kind.value}
    if slo.provisional_source:
        # on every recording rule too, so a dashboard or a query can tell drafts apart
        labels["slo_scout_provisional"] = slo.provisional_source.replace(" ", "-")
    return {
        "name": slo.name,
        "objective": slo.objective,
        "description": slo.description,
        "labels": labels,
        "sli": {
            "events": {
                key("error_query", "errorQuery"): slo.sli.error_query,
                key("total_query", "totalQuery"): slo.sli.total_query,
            }
        },
        "alerting": {
            "name": slo.alert_name,
            "labels": {"category": slo.sli.kind.value},
            "annotations": {
                "runbook": slo.runbook_path,
                "dashboard_uid": dashboard_uid(slo.service),
            },
            key("page_alert", "pageAlert"): {"labels": {"severity": SEVERITY["page"]}},
            key("ticket_alert", "ticketAlert"): {"labels": {"severity": SEVERITY["ticket"]}},
        },
    }


def _owner(slos: Sequence[Slo]) -> str:
    """The team that owns the service's SLOs (one environment, one team)."""
    owners = sorted({s.owner for s in slos})
    return owners[0] if len(owners) == 1 else DEFAULT_OWNER


def sloth_spec(service: str, slos: Sequence[Slo]) -> dict[str, Any]:
    return {
        "version": "prometheus/v1",
        "service": service,
        "labels": {"owner": _owner(slos)},
        "slos": [_slo_document(s, camel=False) for s in slos],
    }


def sloth_crd(
    service: str, slos: Sequence[Slo], *, namespace: str = "monitoring", name: str | None = None
) -> dict[str, Any]:
    return {
        "apiVersion": "sloth.slok.dev/v1",
        "kind": "PrometheusServiceLevel",
        "metadata": {"name": name or dashboard_uid(service)[4:], "namespace": namespace},
        "spec": {
            "service": service,
            "labels": {"owner": _owner(slos)},
            "slos": [_slo_document(s, camel=True) for s in slos],
        },
    }


def render_sloth_spec(
    service: str, slos: Sequence[Slo], *, version: str, period_days: int = 30
) -> str:
    how = ("30-day period, Sloth's default): `sloth generate -i` this file." if period_days == 30
           else f"{period_days}-day period): "
           f"`sloth generate --default-slo-period {period_days}d -i` this file.")
    return render(
        "yaml_file.yaml.j2",
        version=version,
        generator=GENERATOR,
        about=f"Sloth prometheus/v1 spec for service {service} ({how}",
        body=dump_yaml(sloth_spec(service, slos)).rstrip("\n"),
    )


def render_sloth_crd(
    service: str, slos: Sequence[Slo], *, version: str, namespace: str = "monitoring",
    period_days: int = 30, name: str | None = None,
) -> str:
    how = ("30-day period, Sloth's default), for the Sloth controller." if period_days == 30
           else f"{period_days}-day period), for a Sloth controller run with "
           f"`--default-slo-period {period_days}d`.")
    return render(
        "yaml_file.yaml.j2",
        version=version,
        generator=GENERATOR,
        about=f"Sloth PrometheusServiceLevel for service {service} ({how}",
        body=dump_yaml(sloth_crd(service, slos, namespace=namespace, name=name)).rstrip("\n"),
    )
