"""Burn-rate factors and number formatting are Sloth's, bit for bit."""

from __future__ import annotations

import pytest

from slo_scout.core.rules import DEFAULT_WINDOWS, WindowsCatalog, parse_alert_windows
from slo_scout.core.rules.burn import mwmb_alerts
from slo_scout.core.rules.gofloat import go_f, go_g
from slo_scout.core.specs.durations import DAY, HOUR, format_duration, parse_duration

WINDOWS_7D = """\
apiVersion: sloth.slok.dev/v1
kind: AlertWindows
spec:
  sloPeriod: 168h
  page:
    quick: {errorBudgetPercent: 8, shortWindow: 5m, longWindow: 1h}
    slow: {errorBudgetPercent: 12.5, shortWindow: 30m, longWindow: 6h}
  ticket:
    quick: {errorBudgetPercent: 20, shortWindow: 2h, longWindow: 24h}
    slow: {errorBudgetPercent: 42, shortWindow: 6h, longWindow: 72h}
"""


def _factors(period_ms: int, catalog: WindowsCatalog) -> list[str]:
    windows = catalog.get(period_ms)
    assert windows is not None
    group = mwmb_alerts("svc-slo", 99.9, windows)
    alerts = (group.page_quick, group.page_slow, group.ticket_quick, group.ticket_slow)
    return [go_g(a.burn_rate_factor) for a in alerts]


def test_thirty_day_factors_are_the_google_workbook_ones() -> None:
    assert _factors(30 * DAY, WindowsCatalog()) == ["14.4", "6", "3", "1"]


def test_twenty_eight_day_factors_keep_go_float64_rounding() -> None:
    assert _factors(28 * DAY, WindowsCatalog()) == [
        "13.44",
        "5.6000000000000005",
        "2.8000000000000003",
        "0.9333333333333333",
    ]


def test_custom_alert_windows_file_replaces_the_catalog() -> None:
    catalog = WindowsCatalog([parse_alert_windows(WINDOWS_7D, source="7d.yaml")])
    assert catalog.periods == (7 * DAY,)
    assert _factors(7 * DAY, catalog) == ["13.44", "3.5", "1.4000000000000001", "0.98"]


def test_error_budget_keeps_the_float_noise_sloth_prints() -> None:
    windows = DEFAULT_WINDOWS[0]
    assert go_g(mwmb_alerts("x", 99.9, windows).page_quick.error_budget / 100) == (
        "0.0009999999999999432"
    )


def test_alert_windows_with_the_old_version_header_are_rejected() -> None:
    with pytest.raises(Exception, match="AlertWindows"):
        parse_alert_windows('version: "alertWindows/v1"\nsloPeriod: 7d\n', source="old.yaml")


def test_a_period_may_be_defined_once() -> None:
    windows = parse_alert_windows(WINDOWS_7D, source="a.yaml")
    with pytest.raises(Exception, match="already loaded"):
        WindowsCatalog([windows, windows])


@pytest.mark.parametrize(
    ("value", "g", "f"),
    [
        (0.9990000000000001, "0.9990000000000001", "0.9990000000000001"),
        (30.0, "30", "30"),
        (1e-05, "1e-05", "0.00001"),
        (1234567.0, "1.234567e+06", "1234567"),
        (99.99, "99.99", "99.99"),
        (0.0001, "0.0001", "0.0001"),
    ],
)
def test_go_float_formatting(value: float, g: str, f: str) -> None:
    assert (go_g(value), go_f(value)) == (g, f)


@pytest.mark.parametrize(
    ("text", "printed"),
    [("30d", "30d"), ("28d", "4w"), ("168h", "1w"), ("36h", "1d12h"), ("5m", "5m"), ("72h", "3d")],
)
def test_durations_print_as_prometheus_does(text: str, printed: str) -> None:
    assert format_duration(parse_duration(text)) == printed


def test_hours_are_go_hours() -> None:
    assert parse_duration("1h30m") == HOUR + 30 * 60 * 1000
