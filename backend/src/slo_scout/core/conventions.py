"""Names shared across the core: metric, label and group names of the generated rules.

The Prometheus names are Sloth's (pkg/common/conventions/slo.go), byte for byte, so that rules,
dashboards and alerts written for Sloth keep working on what SLO Scout generates.
"""

from __future__ import annotations

# Recording rule names.
SLI_ERROR_METRIC_PREFIX = "slo:sli_error:ratio_rate"
OBJECTIVE_RATIO_METRIC = "slo:objective:ratio"
ERROR_BUDGET_RATIO_METRIC = "slo:error_budget:ratio"
TIME_PERIOD_DAYS_METRIC = "slo:time_period:days"
CURRENT_BURN_RATE_METRIC = "slo:current_burn_rate:ratio"
PERIOD_BURN_RATE_METRIC = "slo:period_burn_rate:ratio"
PERIOD_ERROR_BUDGET_REMAINING_METRIC = "slo:period_error_budget_remaining:ratio"
# SLO Scout's own, for calendar-aligned periods only: the share of the current period gone.
PERIOD_ELAPSED_METRIC = "slo:period_elapsed:ratio"
SLO_INFO_METRIC = "sloth_slo_info"

# Label names.
SLO_ID_LABEL = "sloth_id"
SLO_NAME_LABEL = "sloth_slo"
SLO_SERVICE_LABEL = "sloth_service"
SLO_WINDOW_LABEL = "sloth_window"
SLO_SEVERITY_LABEL = "sloth_severity"
SLO_VERSION_LABEL = "sloth_version"
SLO_MODE_LABEL = "sloth_mode"
SLO_SPEC_LABEL = "sloth_spec"
SLO_OBJECTIVE_LABEL = "sloth_objective"

# Rule group name prefixes; the SLO id follows.
SLI_RECORDINGS_GROUP_PREFIX = "sloth-slo-sli-recordings-"
META_RECORDINGS_GROUP_PREFIX = "sloth-slo-meta-recordings-"
ALERTS_GROUP_PREFIX = "sloth-slo-alerts-"

# The only template variable an SLI query may use.
SLI_WINDOW_TEMPLATE_VAR = "window"


def sli_error_metric(window: str) -> str:
    """The SLI error ratio recording rule name for a window in Prometheus notation (`5m`)."""
    return f"{SLI_ERROR_METRIC_PREFIX}{window}"
