"""Prometheus durations as Sloth reads and prints them (prometheus/common/model.Duration).

Durations are held as integer milliseconds, the resolution Prometheus itself keeps, so window
arithmetic is exact. `format_duration` picks the largest exact unit for years and weeks and then
breaks down into days, hours, ...: 28 days prints as `4w`, 30 days as `30d`, 36 hours as `1d12h`;
these strings are part of the generated rule names (`slo:sli_error:ratio_rate4w`).
"""

from __future__ import annotations

import re

MILLISECOND = 1
SECOND = 1000 * MILLISECOND
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY
YEAR = 365 * DAY

_DURATION_RE = re.compile(
    r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$"
)
_UNITS = (YEAR, WEEK, DAY, HOUR, MINUTE, SECOND, MILLISECOND)


def parse_duration(text: str) -> int:
    """Milliseconds of a Prometheus duration (`30d`, `1h30m`, `168h`); ValueError if malformed."""
    if text == "0":
        return 0
    match = _DURATION_RE.match(text)
    if not text or match is None:
        raise ValueError(f"not a valid duration string: {text!r}")
    return sum(int(part) * unit for part, unit in zip(match.groups(), _UNITS, strict=True) if part)


def format_duration(ms: int) -> str:
    """The Prometheus notation of a duration, as Go's model.Duration.String() writes it."""
    if ms == 0:
        return "0s"
    out = []
    remaining = ms
    for unit, suffix, exact in (
        (YEAR, "y", True),
        (WEEK, "w", True),
        (DAY, "d", False),
        (HOUR, "h", False),
        (MINUTE, "m", False),
        (SECOND, "s", False),
        (MILLISECOND, "ms", False),
    ):
        if exact and remaining % unit != 0:
            continue
        value = remaining // unit
        if value > 0:
            out.append(f"{value}{suffix}")
            remaining -= value * unit
    return "".join(out)


def go_hours(ms: int) -> float:
    """Go's time.Duration.Hours(): whole hours plus the remainder as a fraction, in float64."""
    nanos = ms * 1_000_000
    hour_ns = HOUR * 1_000_000
    return float(nanos // hour_ns) + float(nanos % hour_ns) / (60 * 60 * 1e9)
