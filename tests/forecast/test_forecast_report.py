"""The report's band picture: drawn from a journey's minutes when they hold enough history, the
planted error burst marked, the daily latency season not."""

from __future__ import annotations

import math

from slo_scout.core.journeys.model import MinuteStats, new_sketch
from slo_scout.report.bands import band_chart, sli_series, step_minutes

START = 1_798_761_600  # 2027-01-01T00:00:00Z
DAYS = 4


def _minutes(days: int, burst_at: int | None = None) -> dict[int, MinuteStats]:
    """Every minute: 100 requests, none failed but during the burst (30 minutes, 20%), p99
    following the day from 100 ms to 300 ms."""
    out = {}
    for m in range(days * 1440):
        sketch = new_sketch()
        sketch.add(0.2 - 0.1 * math.cos(2 * math.pi * m / 1440))
        failed = burst_at is not None and burst_at <= m < burst_at + 30
        out[START + 60 * m] = MinuteStats(100, 20 if failed else 0, sketch)
    return out


def test_a_long_recording_is_stepped_to_under_two_thousand_steps() -> None:
    assert step_minutes(START, START + 60 * (DAYS * 1440 - 1)) == 5
    assert step_minutes(START, START + 60 * 119) == 1
    starts, availability, p99 = sli_series(_minutes(1), 5)
    assert len(starts) == len(availability) == len(p99) == 288
    assert availability[0] == 1.0 and p99[0] is not None


def test_the_burst_is_marked_and_the_season_is_not() -> None:
    burst = _minutes(DAYS, burst_at=3 * 1440 + 600)
    picture = band_chart(burst, "bands-test")
    assert picture is not None and picture.startswith("<svg")
    assert "availability (%)" in picture and "p99 (ms)" in picture
    assert "anomalies (6)" in picture  # the burst's six five-minute steps, nothing else
    quiet = band_chart(_minutes(DAYS), "bands-test")
    assert quiet is not None and "anomalies (" not in quiet


def test_the_same_minutes_draw_the_same_bytes() -> None:
    minutes = _minutes(DAYS, burst_at=2000)
    assert band_chart(minutes, "same") == band_chart(minutes, "same")


def test_too_little_history_draws_nothing() -> None:
    assert band_chart(_minutes(0), "none") is None
    twenty = {START + 60 * m: MinuteStats(10, 0, new_sketch()) for m in range(20)}
    assert band_chart(twenty, "short") is None
