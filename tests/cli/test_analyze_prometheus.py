"""``slo-scout analyze --prometheus-url``: the metric family comes from the team's Prometheus
when ``--metrics`` does not name it; an unreachable server is a one-line error naming its URL.

The server is the real Prometheus of the history tests, loaded with spanmetrics series
(``tests/fixtures/prometheus_history.py``).
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from tests.cli.test_analyze import shop_json  # noqa: F401
from tests.fixtures.prometheus_history import PROMETHEUS, PROMTOOL
from typer.testing import CliRunner

from slo_scout.cli.main import app

needs_prometheus = pytest.mark.skipif(
    PROMETHEUS is None or PROMTOOL is None, reason="prometheus and promtool are not installed"
)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@needs_prometheus
def test_the_metric_family_is_the_one_the_prometheus_server_holds(
    runner: CliRunner, shop_json: Path, prometheus_url: str, tmp_path: Path  # noqa: F811
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(shop_json), "--out", str(out),
                                 "--prometheus-url", prometheus_url])
    assert result.exit_code == 0, result.output
    assert (f"metric family spanmetrics (traces_span_metrics_duration_milliseconds), "
            f"detected from metric names at {prometheus_url}") in result.stderr
    sloth = (out / "sloth" / "frontend.yaml").read_text()
    assert "traces_span_metrics_calls_total" in sloth
    assert "traces_spanmetrics" not in sloth


def test_an_unreachable_prometheus_is_a_one_line_error_naming_its_url(
    runner: CliRunner, shop_json: Path, tmp_path: Path  # noqa: F811
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(shop_json), "--out", str(out),
                                 "--prometheus-url", url])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"cannot reach Prometheus at {url}" in result.stderr
    assert not out.exists()  # nothing half-written


def test_named_metrics_win_and_the_server_is_not_asked(
    runner: CliRunner, shop_json: Path, tmp_path: Path  # noqa: F811
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(shop_json), "--out", str(out), "--metrics",
                                 "tempo", "--prometheus-url",
                                 f"http://127.0.0.1:{_closed_port()}"])
    assert result.exit_code == 0, result.output
    assert "traces_spanmetrics_calls_total" in (out / "sloth" / "frontend.yaml").read_text()
