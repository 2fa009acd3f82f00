"""OpenSLO v1 `timeWindow`: a rolling period, or a calendar-aligned one.

A rolling window's `duration` is the SLO period (`28d` gives Sloth's 28-day alert windows).
A calendar window (`isRolling: false`, `calendar: {startTime, timeZone}`) keeps the burn-rate
alerts of its nominal length (1w = 7d, 1M = 30d) and has its period rules measured from the start
of the current calendar period (see core/rules/calendar.py). What PromQL can align exactly is
supported, and nothing else is approximated:
- `1M`: calendar months (UTC); `startTime` must be the first of a month at 00:00:00.
- `Nm`, `Nh`, `Nd`, `Nw`: fixed lengths repeating from `startTime` (whole hours; whole days
  when the period is longer than 32 days). Without `calendar`, from 1970-01-05 00:00 (a Monday)
  for weeks and from midnight otherwise.
- `Q`, `Y` and several months: their lengths vary (90-92, 365-366 days) and PromQL has no way
  to compute the current one within a rule, so they are refused, with the field named.
- `timeZone` must be UTC: PromQL's calendar functions (`month()`, `days_in_month()`) are UTC.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from slo_scout.core.specs._fields import Fields
from slo_scout.core.specs.durations import DAY, HOUR, MINUTE, SECOND, WEEK
from slo_scout.core.specs.model import CalendarWindow

_DURATION_RE = re.compile(r"^(\d+)([mhdwMQY])$")
_UNIT_MS = {
    "m": MINUTE,
    "h": HOUR,
    "d": DAY,
    "w": WEEK,
    "M": 30 * DAY,
    "Q": 90 * DAY,
    "Y": 365 * DAY,
}
_UTC_NAMES = {"utc", "etc/utc", "gmt", "etc/gmt", "z", "zulu", "universal", "etc/universal"}
_MONDAY_1970_S = 4 * 86400
LONG_PERIOD_S = 32 * 86400


def openslo_duration(text: str) -> int:
    """Milliseconds of an OpenSLO duration (`28d`, `1M`); calendar units take nominal lengths."""
    match = _DURATION_RE.match(text)
    if match is None:
        raise ValueError(f"not an OpenSLO duration: {text!r}")
    return int(match.group(1)) * _UNIT_MS[match.group(2)]


def read_time_window(
    spec: Mapping[str, Any], fields: Fields, default_ms: int
) -> tuple[int, CalendarWindow | None]:
    """The period in milliseconds (nominal for calendar windows) and the calendar, if any."""
    windows = fields.sequence(spec.get("timeWindow"), "spec.timeWindow")
    if not windows:
        return default_ms, None
    if len(windows) > 1:
        raise fields.error("only 1 time window is supported", "spec.timeWindow")
    path = "spec.timeWindow[0]"
    window = fields.mapping(windows[0], path)
    text = fields.string(window, "duration", path)
    try:
        period_ms = openslo_duration(text)
    except ValueError as exc:
        raise fields.error(str(exc), f"{path}.duration") from exc
    calendar = fields.mapping(window.get("calendar"), f"{path}.calendar")
    rolling = window.get("isRolling")
    if rolling is True or (rolling is None and not calendar):
        return period_ms, None
    return period_ms, _calendar(text, calendar, f"{path}.calendar", fields)


def _calendar(text: str, calendar: Mapping[str, Any], path: str, fields: Fields) -> CalendarWindow:
    zone = fields.string(calendar, "timeZone", path) or "UTC"
    if zone.lower() not in _UTC_NAMES:
        raise fields.error(
            f"time zone {zone!r} is not supported: PromQL's calendar functions are UTC only; "
            "use UTC",
            f"{path}.timeZone",
        )
    match = _DURATION_RE.match(text)
    assert match is not None  # checked by the caller
    count, unit = int(match.group(1)), match.group(2)
    start = _start(calendar.get("startTime"), f"{path}.startTime", fields)
    if unit in "QY" or (unit == "M" and count != 1):
        raise fields.error(
            f"calendar window {text!r} is not supported: quarters, years and multi-month periods "
            "vary in length and PromQL cannot measure the current one; use 1M, a fixed length "
            "(d, w) or isRolling: true",
            "spec.timeWindow[0].duration",
        )
    if unit == "M":
        if start is not None and (start.day, start.hour, start.minute, start.second) != (
            1,
            0,
            0,
            0,
        ):
            raise fields.error(
                "a monthly calendar window must start on the 1st at 00:00:00", f"{path}.startTime"
            )
        return CalendarWindow(label=text, unit="M", start_month=start.month if start else 1)
    length_s = count * _UNIT_MS[unit] // SECOND
    start_s = int(start.timestamp()) if start else (_MONDAY_1970_S if unit == "w" else 0)
    align = 86400 if length_s > LONG_PERIOD_S else 3600
    if start_s % align:
        raise fields.error(
            f"a {text} calendar window must start on a whole {'day' if align == 86400 else 'hour'}"
            " (UTC): its period rules step through whole hours (days for periods over 32 days)",
            f"{path}.startTime",
        )
    if length_s % align:
        raise fields.error(
            f"a calendar window must last whole {'days' if align == 86400 else 'hours'}",
            "spec.timeWindow[0].duration",
        )
    return CalendarWindow(label=text, unit=unit, length_s=length_s, start_s=start_s)


def _start(value: Any, path: str, fields: Fields) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise fields.error(
                f"not a date and time (2024-01-01 00:00:00): {value!r}", path
            ) from exc
    else:
        raise fields.error(f"must be a date and time, got {type(value).__name__}", path)
    if moment.utcoffset():
        raise fields.error("startTime must be in the calendar's time zone, without an offset", path)
    return moment.replace(tzinfo=UTC)
