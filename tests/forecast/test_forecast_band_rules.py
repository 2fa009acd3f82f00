"""GET /journeys/{id}/band-rules: the availability band as Prometheus rules promtool accepts,
the band's hours taken from the fitted history."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from tests.api.conftest import api_settings, client, seed  # noqa: F401
from tests.fixtures.control_plane import database_url, journey, migrated_url  # noqa: F401
from tests.fixtures.forecast_history import ERRORS, REQUESTS, seed_history
from tests.fixtures.postgres import postgres_server  # noqa: F401

from slo_scout.core.forecast import BandPolicy, fit_band
from slo_scout.core.forecast.rules import band_rules, hourly_profile


def _promtool_accepts(text: str, tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian package prometheus)")
    rules_file = tmp_path / "band.yaml"
    rules_file.write_text(text)
    result = subprocess.run([promtool, "check", "rules", str(rules_file)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_band_rules_cover_every_hour_and_promtool_accepts_them(
    client: TestClient, migrated_url: str, tmp_path: Path  # noqa: F811
) -> None:
    journey_id = seed_history(migrated_url)
    got = client.get(f"/api/v1/journeys/{journey_id}/band-rules", params={"history_days": 7})
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("application/yaml")
    _promtool_accepts(got.text, tmp_path)
    [group] = yaml.safe_load(got.text)["groups"]
    records = {r["record"]: r for r in group["rules"] if "record" in r}
    lower = records["slo_scout:journey_availability_band:lower"]["expr"]
    assert all(f"hour() == {h})" in lower for h in range(24))
    expected = records["slo_scout:journey_availability_band:expected"]["expr"]
    steady = 1 - ERRORS / REQUESTS  # the burst hour is no part of the expectation
    assert f"vector({steady!r})" in expected or f"vector({round(steady, 6)!r})" in expected
    [alert] = [r for r in group["rules"] if "alert" in r]
    assert alert["expr"].startswith("slo_scout:journey_availability:ratio_rate1h{journey=")


def test_too_little_history_for_band_rules_names_the_field(
    client: TestClient, migrated_url: str  # noqa: F811
) -> None:
    seed(migrated_url, journeys=[journey("j-small", operation="GET /small", minutes=90)])
    [small] = client.get("/api/v1/journeys").json()["items"]
    got = client.get(f"/api/v1/journeys/{small['id']}/band-rules")
    assert got.status_code == 422, got.text
    assert got.json()["errors"][0]["field"] == "history_days"
    assert "2 hours with traffic" in got.json()["detail"]
    assert client.get("/api/v1/journeys/999/band-rules").status_code == 404
    assert client.get(f"/api/v1/journeys/{small['id']}/band-rules",
                      params={"history_days": 2}).status_code == 422  # three days at least


def test_the_rules_render_a_seasonal_profile_by_utc_hour(tmp_path: Path) -> None:
    import math
    from datetime import UTC, datetime

    values: list[float | None] = [0.99 + 0.005 * math.sin(2 * math.pi * h / 24)
                                  for h in range(24 * 5)]
    band = fit_band(values, BandPolicy(period_steps=24, min_sigma=0.001))
    profile = hourly_profile(band, datetime(2026, 11, 5, 23, tzinfo=UTC))
    assert [p.hour for p in profile] == list(range(24))
    # the next day starts at hour 0, the season's phase 0
    assert profile[6].expected == pytest.approx(0.995, abs=0.001)
    assert all(p.lower <= p.expected <= p.upper <= 1 for p in profile)
    text = band_rules(journey="checkout", error_query='sum(rate(errs[{{.window}}]))',
                      total_query='sum(rate(reqs[{{.window}}]))', profile=profile)
    assert "{{.window}}" not in text and "errs[1h]" in text
    _promtool_accepts(text, tmp_path)
