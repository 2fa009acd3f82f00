"""A Grafana dashboard per service, built with grafana-foundation-sdk (Grafana 11.6 schema).

One row per SLO with: error budget remaining over the period, burn rate per window, the SLI
over time against its objective, latency percentiles from the family's histogram, and the
state of its page/ticket alerts. Every panel reads the ``datasource`` template variable, and
every query uses the Sloth recording rules (``slo:*``) and ``ALERTS`` series that the rule
generator writes, selected by ``sloth_service``/``sloth_slo``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from grafana_foundation_sdk.builders.dashboard import Dashboard, DatasourceVariable, Row
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.builders.stat import Panel as StatPanel
from grafana_foundation_sdk.builders.statetimeline import Panel as StateTimelinePanel
from grafana_foundation_sdk.builders.timeseries import Panel as TimeseriesPanel
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from slo_scout.core.artifacts.model import BURN_WINDOWS, SLI_WINDOWS, Slo, dashboard_uid
from slo_scout.core.conventions import (
    ERROR_BUDGET_RATIO_METRIC,
    OBJECTIVE_RATIO_METRIC,
    PERIOD_ERROR_BUDGET_REMAINING_METRIC,
    sli_error_metric,
)

GENERATOR = "grafana/11.6"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
PERCENTILES = (0.5, 0.9, 0.99)


def _labels(slo: Slo) -> str:
    return f'sloth_service="{slo.service}", sloth_slo="{slo.name}"'


def _query(expr: str, legend: str, ref: str) -> Dataquery:
    return Dataquery().expr(expr).legend_format(legend).ref_id(ref).datasource(DATASOURCE)


def _budget_panel(slo: Slo) -> StatPanel:
    expr = f"{PERIOD_ERROR_BUDGET_REMAINING_METRIC}{{{_labels(slo)}}}"
    return (
        StatPanel()
        .title(f"Error budget remaining ({slo.period_days}d)")
        .datasource(DATASOURCE)
        .unit("percentunit")
        .decimals(2)
        .height(8)
        .span(4)
        .with_target(_query(expr, "remaining", "A"))
    )


def _burn_panel(slo: Slo) -> TimeseriesPanel:
    page = BURN_WINDOWS[0].burn_rate(slo.period_days)
    panel = (
        TimeseriesPanel()
        .title("Burn rate per window")
        .description(
            f"1 spends the budget in exactly the period; page alerts start at {page:g}x."
        )
        .datasource(DATASOURCE)
        .unit("x")
        .height(8)
        .span(10)
    )
    for i, window in enumerate(SLI_WINDOWS):
        expr = (
            f"{sli_error_metric(window)}{{{_labels(slo)}}}\n"
            f"/ on(sloth_id, sloth_slo, sloth_service) group_left\n"
            f"{ERROR_BUDGET_RATIO_METRIC}{{{_labels(slo)}}}"
        )
        panel = panel.with_target(_query(expr, window, chr(ord("A") + i)))
    return panel


def _sli_panel(slo: Slo) -> TimeseriesPanel:
    return (
        TimeseriesPanel()
        .title("SLI over time (5m) and objective")
        .datasource(DATASOURCE)
        .unit("percentunit")
        .decimals(3)
        .height(8)
        .span(10)
        .with_target(_query(f"1 - {sli_error_metric('5m')}{{{_labels(slo)}}}", "SLI", "A"))
        .with_target(_query(f"{OBJECTIVE_RATIO_METRIC}{{{_labels(slo)}}}", "objective", "B"))
    )


def _latency_panel(slo: Slo) -> TimeseriesPanel:
    family = slo.sli.family
    inner = ",".join(f'{k}{op}"{v}"' for k, op, v in slo.sli.matchers)
    bucket = f"{family.histogram}_bucket{{{inner}}}"
    panel = (
        TimeseriesPanel()
        .title("Latency percentiles")
        .datasource(DATASOURCE)
        .unit("ms" if family.unit == "ms" else "s")
        .height(8)
        .span(12)
    )
    for i, q in enumerate(PERCENTILES):
        expr = f"histogram_quantile({q:g}, sum by (le) (rate({bucket}[$__rate_interval])))"
        panel = panel.with_target(_query(expr, f"p{q * 100:g}", chr(ord("A") + i)))
    return panel


def _alert_panel(slo: Slo) -> StateTimelinePanel:
    expr = f'max by (sloth_severity) (ALERTS{{{_labels(slo)}, alertstate="firing"}})'
    return (
        StateTimelinePanel()
        .title("Alert state")
        .datasource(DATASOURCE)
        .height(8)
        .span(12)
        .with_target(_query(expr, "{{sloth_severity}}", "A"))
    )


def row_title(slo: Slo) -> str:
    """What the row measures, as approved: ``POST /cart latency (add-to-cart-latency):
    99% within 0.4 s over 28d``."""
    within = "" if slo.threshold_s is None else f" within {slo.threshold_s:g} s"
    return (f"{slo.journey.entry.label} {slo.sli.kind.value} ({slo.name}): "
            f"{slo.objective:g}%{within} over {slo.period_days}d")


def dashboard(service: str, slos: Sequence[Slo]) -> Dashboard:
    builder = (
        Dashboard(f"SLOs / {service}")
        .uid(dashboard_uid(service))
        .tags(["slo", "slo-scout", service])
        .time("now-7d", "now")
        .refresh("1m")
        .timezone("utc")
        .with_variable(DatasourceVariable("datasource").label("Data source").type("prometheus"))
    )
    for slo in slos:
        builder = builder.with_row(Row(row_title(slo)))
        builder = (
            builder.with_panel(_budget_panel(slo))
            .with_panel(_burn_panel(slo))
            .with_panel(_sli_panel(slo))
            .with_panel(_latency_panel(slo))
            .with_panel(_alert_panel(slo))
        )
    return builder


def render_dashboard(service: str, slos: Sequence[Slo]) -> str:
    model = dashboard(service, slos).build()
    text = JSONEncoder(sort_keys=True, indent=2).encode(model)
    data = json.loads(text)
    # Grafana keys panel state by id; number them in layout order so import never renumbers.
    for number, panel in enumerate(data.get("panels", []), start=1):
        panel["id"] = number
    # Re-dump through json so the byte layout does not depend on the SDK's encoder options.
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
