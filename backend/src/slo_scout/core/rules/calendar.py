"""Period rules of calendar-aligned SLOs: measured from the start of the current period.

A range selector cannot say "since the 1st of this month", so the period SLI is a subquery over
the longest period (31 days for months) that keeps only the steps inside the current period:

    sum_over_time((SLI_1h and on() IN_PERIOD)[31d:1h]) / count_over_time((...)[31d:1h])

The steps are whole hours (whole days for periods over 32 days), aligned to the epoch as
Prometheus aligns subquery steps, and each step reads the SLI of the step before it
(`slo:sli_error:ratio_rate1h` at 01:00 covers 00:00-01:00), so the steps tile the period
exactly as Sloth's optimised period rule averages its 5m SLI. A step belongs to the current
period when the period key of its window's start equals the key at the evaluation time,
`max_over_time(KEY[1m:1m] @ end())` (`@ end()` is the rule's evaluation time even inside a
subquery). Keys: `month()` for calendar months (31 days of range cannot reach the same month of
another year); `floor((time() - start) / length)` for fixed lengths.

The budget remaining is `1 - period_burn_rate * elapsed`, where `elapsed` is the share of the
period gone (`slo:period_elapsed:ratio`, from `day_of_month()` / `days_in_month()` for months):
the budget of a whole period is the error ratio budget times the period's events, and with
traffic spread evenly the events so far are `elapsed` of them. At the first step of a period
there is nothing to average yet and the period rules are absent for that hour.
"""

from __future__ import annotations

from slo_scout.core import conventions as c
from slo_scout.core.specs.durations import DAY, HOUR, SECOND, format_duration
from slo_scout.core.specs.model import CalendarWindow

_MONTH_RANGE_MS = 31 * DAY
_LONG_MS = 32 * DAY


def range_ms(calendar: CalendarWindow) -> int:
    """The subquery range: long enough to reach back to the start of any period."""
    return _MONTH_RANGE_MS if calendar.unit == "M" else calendar.length_s * SECOND


def step_ms(calendar: CalendarWindow) -> int:
    """Subquery step, which is also the SLI window averaged over the period."""
    return DAY if range_ms(calendar) > _LONG_MS else HOUR


def _key(calendar: CalendarWindow, shift_s: int) -> str:
    now = "vector(time())" if shift_s == 0 else f"vector(time() - {shift_s})"
    if calendar.unit == "M":
        return f"month({now})"
    return f"floor(({now} - {calendar.start_s}) / {calendar.length_s})"


def in_current_period(calendar: CalendarWindow) -> str:
    """Non-empty at a subquery step whose SLI window lies in the evaluation time's period."""
    step_s = step_ms(calendar) // SECOND
    return f"({_key(calendar, step_s)} == on() max_over_time({_key(calendar, 0)}[1m:1m] @ end()))"


def period_sli_expr(metric: str, calendar: CalendarWindow) -> str:
    """Mean error ratio since the start of the current period; `metric` carries its filter."""
    window = f"[{format_duration(range_ms(calendar))}:{format_duration(step_ms(calendar))}]"
    inner = f"({metric} and on() {in_current_period(calendar)})"
    return (
        f"sum_over_time({inner}{window})\n"
        f"/ ignoring ({c.SLO_WINDOW_LABEL})\n"
        f"count_over_time({inner}{window})\n"
    )


def elapsed_expr(calendar: CalendarWindow) -> str:
    """Share of the current period gone at the evaluation time, 0 to 1."""
    if calendar.unit == "M":
        return "(day_of_month() - 1 + (vector(time()) % 86400) / 86400) / days_in_month()"
    since = f"(vector(time()) - {calendar.start_s})"
    length = calendar.length_s
    return f"({since} - floor({since} / {length}) * {length}) / {length}"
