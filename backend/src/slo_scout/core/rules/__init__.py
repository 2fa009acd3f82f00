"""Prometheus rules from SLO specs, identical to what Sloth generates.

Entry points: `generate_rules(spec, catalog, options)` -> per-SLO rules; `render_rule_file` /
`render_prometheus_rule` -> YAML text; `WindowsCatalog` / `parse_alert_windows` for the alert
windows; `promtool_tests.build_suite` for `promtool test rules` suites.
"""

from slo_scout.core.rules.generate import GenerateOptions, build_chain, generate_rules
from slo_scout.core.rules.model import Info, Rule, SLOResult, SLORules
from slo_scout.core.rules.render import bundle, render_prometheus_rule, render_rule_file
from slo_scout.core.rules.windows import (
    DEFAULT_WINDOWS,
    AlertWindows,
    Window,
    WindowsCatalog,
    parse_alert_windows,
)

__all__ = [
    "DEFAULT_WINDOWS",
    "AlertWindows",
    "GenerateOptions",
    "Info",
    "Rule",
    "SLOResult",
    "SLORules",
    "Window",
    "WindowsCatalog",
    "build_chain",
    "bundle",
    "generate_rules",
    "parse_alert_windows",
    "render_prometheus_rule",
    "render_rule_file",
]
