"""OpenSLO v1 documents for a service: DataSource, Service, SLI, SLO, and the alerting kinds.

One file per service holds, in order: the Prometheus ``DataSource``, the ``Service``, the two
``AlertNotificationTarget``s (page, ticket), a page and a ticket burn-rate ``AlertCondition``,
then per SLO its page and ticket ``AlertPolicy``, its ``SLI`` and the ``SLO`` itself.

Burn-rate conditions follow Sloth's windows for the SLO's period: 2%, 5%, 10%, 10% of the
budget over 1h, 6h, 1d and 3d (14.4/6/3/1 for 30 days, 13.44/5.6/2.8/0.93 for 28). OpenSLO has
one ``lookbackWindow`` per condition: it holds the long window; the short window (1/12 of it)
is the generator's concern. Queries keep Sloth's ``{{.window}}`` so the rules generator can
expand them per window. Time windows are ``rolling`` (``30d``) or ``calendar`` (``1M`` from
the first of ``now``'s month, UTC).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slo_scout.core.artifacts._render import dump_yaml_documents, render
from slo_scout.core.artifacts.model import BURN_WINDOWS, Slo

GENERATOR = "openslo/v1"
API = "openslo/v1"
DATASOURCE = "prometheus"
WINDOW_KINDS = ("rolling", "calendar")


def _meta(name: str, display: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if display:
        meta["displayName"] = display
    return meta


def _doc(kind: str, metadata: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API, "kind": kind, "metadata": metadata, "spec": spec}


def _source(query: str) -> dict[str, Any]:
    return {
        "metricSource": {
            "metricSourceRef": DATASOURCE,
            "type": "Prometheus",
            "spec": {"query": query},
        }
    }


def _condition_name(severity: str, period_days: int) -> str:
    return f"{severity}-burn-rate-{period_days}d"


def _policy_name(slo: Slo, severity: str) -> str:
    return f"{slo.name}-{severity}"


def _alerting_documents(period_days: int) -> list[dict[str, Any]]:
    """Notification targets and one burn-rate condition per severity for a period.

    OpenSLO allows one condition per policy, so each holds the faster window of its severity
    (page: 2% of the budget in 1h, ticket: 10% in 1d); the slower pair (5% in 6h, 10% in 3d)
    comes with it in the generated rules, as in Sloth, and is named in the description.
    """
    docs = [
        _doc(
            "AlertNotificationTarget",
            _meta(f"alertmanager-{severity}"),
            {
                "description": f"Alertmanager, routed on sloth_severity={severity}",
                "target": "alertmanager",
            },
        )
        for severity in ("page", "ticket")
    ]
    for severity in ("page", "ticket"):
        fast, slow = (w for w in BURN_WINDOWS if w.severity == severity)
        docs.append(
            _doc(
                "AlertCondition",
                _meta(_condition_name(severity, period_days)),
                {
                    "description": (
                        f"{fast.budget_share:.0%} of the {period_days}-day error budget spent "
                        f"in {fast.long_window} ({fast.burn_rate(period_days):g}x, checked over "
                        f"{fast.short_window} too), or {slow.budget_share:.0%} in "
                        f"{slow.long_window} ({slow.burn_rate(period_days):g}x)"
                    ),
                    "severity": severity,
                    "condition": {
                        "kind": "burnrate",
                        "op": "gte",
                        "threshold": fast.burn_rate(period_days),
                        "lookbackWindow": fast.long_window,
                        "alertAfter": "0m",
                    },
                },
            )
        )
    return docs


def _policies(slo: Slo) -> list[dict[str, Any]]:
    return [
        _doc(
            "AlertPolicy",
            _meta(_policy_name(slo, severity)),
            {
                "description": f"{severity} on fast error budget burn of {slo.name}",
                "alertWhenNoData": False,
                "alertWhenResolved": False,
                "alertWhenBreaching": True,
                "conditions": [{"conditionRef": _condition_name(severity, slo.period_days)}],
                "notificationTargets": [{"targetRef": f"alertmanager-{severity}"}],
            },
        )
        for severity in ("page", "ticket")
    ]


def _time_window(slo: Slo, window: str, now: datetime) -> list[dict[str, Any]]:
    if window == "rolling":
        return [{"duration": f"{slo.period_days}d", "isRolling": True}]
    start = now.strftime("%Y-%m-01 00:00:00")
    return [
        {"duration": "1M", "calendar": {"startTime": start, "timeZone": "UTC"}, "isRolling": False}
    ]


def _sli_and_slo(slo: Slo, window: str, now: datetime) -> list[dict[str, Any]]:
    sli = _doc(
        "SLI",
        _meta(slo.name, slo.journey.entry.label),
        {
            "description": slo.sli.description,
            "ratioMetric": {
                "counter": True,
                "good": _source(slo.sli.good_query),
                "total": _source(slo.sli.total_query),
            },
        },
    )
    meta = _meta(slo.name, f"{slo.journey.entry.label} {slo.sli.kind.value}")
    if slo.provisional_source:
        meta["labels"] = {"slo_scout_provisional": [slo.provisional_source.replace(" ", "-")]}
    objective = _doc(
        "SLO",
        meta,
        {
            # OpenSLO caps descriptions at 1050 characters. An approved SLO's says what was
            # approved; analyze's, why the recommendation chose its numbers.
            "description": (slo.description if slo.approval
                            else slo.recommendation.rationale)[:1050],
            "service": slo.service,
            "indicatorRef": slo.name,
            "timeWindow": _time_window(slo, window, now),
            "budgetingMethod": "Occurrences",
            "objectives": [
                {"displayName": slo.sli.kind.value, "target": round(slo.objective / 100, 6)}
            ],
            "alertPolicies": [
                {"alertPolicyRef": _policy_name(slo, severity)} for severity in ("page", "ticket")
            ],
        },
    )
    return [*_policies(slo), sli, objective]


def openslo_documents(
    service: str,
    slos: Sequence[Slo],
    *,
    now: datetime,
    window: str = "rolling",
    datasource_url: str | None = None,
) -> list[dict[str, Any]]:
    if window not in WINDOW_KINDS:
        raise ValueError(f"OpenSLO time window must be one of {WINDOW_KINDS}, not {window!r}")
    connection = {"url": datasource_url} if datasource_url else {}
    docs = [
        _doc(
            "DataSource",
            _meta(DATASOURCE),
            {"type": "Prometheus", "connectionDetails": connection},
        ),
        _doc("Service", _meta(service), {"description": f"Journeys entering at {service}"}),
    ]
    for period in sorted({s.period_days for s in slos}):
        docs.extend(_alerting_documents(period))
    for slo in slos:
        docs.extend(_sli_and_slo(slo, window, now))
    return docs


def render_openslo(
    service: str,
    slos: Sequence[Slo],
    *,
    version: str,
    now: datetime,
    window: str = "rolling",
    datasource_url: str | None = None,
) -> str:
    docs = openslo_documents(service, slos, now=now, window=window, datasource_url=datasource_url)
    return render(
        "yaml_file.yaml.j2",
        version=version,
        generator=GENERATOR,
        about=f"OpenSLO v1 for service {service} ({window} windows).",
        body=dump_yaml_documents(docs).rstrip("\n"),
    )
