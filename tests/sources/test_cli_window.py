"""``--since``/``--until`` as the sources read them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import typer

from slo_scout.cli._sources import window

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NOW_S = int(NOW.timestamp())


def test_since_counts_back_from_now_by_default() -> None:
    assert window("2h", None, NOW) == (NOW_S - 7200, NOW_S)


def test_until_takes_iso_8601_unix_seconds_or_a_duration_before_now() -> None:
    assert window("30m", "2026-03-01T10:00:00Z", NOW) == (NOW_S - 7200 - 1800, NOW_S - 7200)
    assert window("30m", "2026-03-01T10:00:00", NOW)[1] == NOW_S - 7200  # naive: UTC
    assert window("1h", str(NOW_S - 60), NOW) == (NOW_S - 3660, NOW_S - 60)
    assert window("1h", "1d", NOW) == (NOW_S - 86400 - 3600, NOW_S - 86400)


@pytest.mark.parametrize(("since", "until"), [("soon", None), ("0", None), ("1h", "yesterday")])
def test_a_bad_window_is_a_usage_error(since: str, until: str | None) -> None:
    with pytest.raises(typer.Exit) as caught:
        window(since, until, NOW)
    assert caught.value.exit_code == 2
