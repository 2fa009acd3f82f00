"""``slo-scout backtest``: existing Sloth or OpenSLO SLOs judged on their history, from a CSV
file or a real Prometheus ("would this SLO have paged us last month?")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.fixtures.prometheus_history import PROMETHEUS, PROMTOOL, serving
from typer.testing import CliRunner

from slo_scout.cli.main import app

SPEC = """\
version: "prometheus/v1"
service: "shop"
slos:
  - name: "checkout"
    objective: {objective}
    sli:
      events:
        error_query: sum(rate(http_requests_total{{job="shop",code="500"}}[{{{{.window}}}}]))
        total_query: sum(rate(http_requests_total{{job="shop"}}[{{{{.window}}}}]))
    alerting:
      name: CheckoutBurn
      page_alert:
        labels:
          route: pager
      ticket_alert:
        labels:
          route: tickets
  - name: "ratio"
    objective: 99
    sli:
      raw:
        error_ratio_query: |
          sum(rate(http_requests_total{{code="500"}}[{{{{.window}}}}]))
          / sum(rate(http_requests_total[{{{{.window}}}}]))
    alerting:
      page_alert:
        disable: true
      ticket_alert:
        disable: true
"""
START = 1_700_000_000 - 1_700_000_000 % 3600
WINDOW = 300
DAYS = 2
BURST = range(400, 412)  # twelve 5-minute windows (an hour) on the second day


def _spec(tmp_path: Path, objective: float = 99.0) -> Path:
    path = tmp_path / "shop.yaml"
    path.write_text(SPEC.format(objective=objective))
    return path


def _history(tmp_path: Path, burst: bool) -> Path:
    """Two days of 5-minute windows of 100 requests, one failure every fifth window."""
    rows = ["slo,start,end,good,total"]
    for i in range(DAYS * 288):
        bad = (1 if i % 5 == 0 else 0) + (50 if burst and i in BURST else 0)
        rows.append(f"shop-checkout,{START + i * WINDOW},{START + (i + 1) * WINDOW},"
                    f"{100 - min(100, bad)},100")
    path = tmp_path / "history.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["backtest", *args])
    return result.exit_code, result.output


def _checkout(output: str) -> dict:
    rows = json.loads(output)["slos"]
    assert {r["slo"] for r in rows} == {"shop-checkout", "shop-ratio"}
    assert next(r for r in rows if r["slo"] == "shop-ratio")["skipped"]
    return next(r for r in rows if r["slo"] == "shop-checkout")


def test_an_hour_at_half_errors_would_have_paged_once(tmp_path: Path) -> None:
    code, output = _run(str(_spec(tmp_path)), "--history", str(_history(tmp_path, True)),
                        "--json")
    assert code == 0, output
    row = _checkout(output)
    assert row["total"] == DAYS * 288 * 100
    assert (row["page"], row["ticket"]) == (1, 1)
    # 716 of 57,600 failed (1.24%): the 99% objective did not hold, 24% over budget
    assert not row["held"] and row["held_share_of_windows"] == pytest.approx(1 - 12 / 576)
    assert row["budget_consumed"] == pytest.approx(716 / 576)


def test_steady_history_holds_without_alerts(tmp_path: Path) -> None:
    code, output = _run(str(_spec(tmp_path)), "--history", str(_history(tmp_path, False)),
                        "--json")
    assert code == 0, output
    row = _checkout(output)
    assert row["held"] and row["held_share_of_windows"] == 1.0
    assert (row["page"], row["ticket"]) == (0, 0)
    assert row["budget_consumed"] == pytest.approx(116 / 576)


def test_the_table_names_each_slo(tmp_path: Path) -> None:
    code, output = _run(str(_spec(tmp_path)), "--history", str(_history(tmp_path, True)))
    assert code == 0, output
    assert "shop-checkout" in output and "skipped" in output


def test_a_bad_history_row_is_one_line_naming_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    path.write_text("slo,start,end,good,total\nshop-checkout,0,300,10,100\n"
                    "shop-checkout,300,600,ten,100\n")
    code, output = _run(str(_spec(tmp_path)), "--history", str(path))
    assert code == 1
    assert "history.csv, line 3, field 'good'/'total'" in output
    assert "Traceback" not in output


def test_exactly_one_history_source_is_needed(tmp_path: Path) -> None:
    code, _ = _run(str(_spec(tmp_path)))
    assert code == 2
    code, _ = _run(str(_spec(tmp_path)), "--history", str(_history(tmp_path, False)),
                   "--prometheus-url", "http://127.0.0.1:1")
    assert code == 2


def test_an_unreachable_server_is_one_line_naming_it(tmp_path: Path) -> None:
    code, output = _run(str(_spec(tmp_path)), "--prometheus-url", "http://127.0.0.1:1",
                        "--lookback", "1d", "--step", "1h")
    assert code == 1 and "http://127.0.0.1:1" in output and "Traceback" not in output


# A real Prometheus: three days, one sample a minute, 100 requests a minute, 0.1% failing,
# and an hour at half failing on the second day.
END = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)


@pytest.fixture(scope="module")
def prometheus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if PROMETHEUS is None or PROMTOOL is None:
        pytest.skip("prometheus and promtool are not installed")
    work = tmp_path_factory.mktemp("prometheus")
    last = int(END.timestamp())
    minutes = 3 * 1440
    bad = good = 0
    lines = ["# TYPE http_requests counter"]
    bad_lines, good_lines = [], []
    for m in range(minutes + 1):
        ts = last - (minutes - m) * 60
        failing = 50 if 1440 + 600 <= m < 1440 + 660 else (1 if m % 10 == 0 else 0)
        bad += failing
        good += 100 - failing
        bad_lines.append(f'http_requests_total{{job="shop",code="500"}} {bad} {ts}')
        good_lines.append(f'http_requests_total{{job="shop",code="200"}} {good} {ts}')
    series = "\n".join([*lines, *bad_lines, *good_lines]) + "\n# EOF\n"
    with serving(work, series) as url:
        yield url


def test_would_this_slo_have_paged_us(prometheus_url: str, tmp_path: Path) -> None:
    args = ["--prometheus-url", prometheus_url, "--end", END.isoformat(), "--lookback", "2d",
            "--step", "5m", "--json"]
    code, output = _run(str(_spec(tmp_path, 99.0)), *args)
    assert code == 0, output
    row = _checkout(output)
    assert row["window_seconds"] == 300 and row["end"] == int(END.timestamp())
    assert row["total"] == pytest.approx(2 * 1440 * 100, rel=0.01)
    assert row["page"] == 1  # the half-failing hour
    code, output = _run(str(_spec(tmp_path, 99.95)), *args)
    assert code == 0, output
    strict = _checkout(output)
    assert not strict["held"] and strict["budget_consumed"] > 1 and strict["page"] >= 1


def test_openslo_ratio_metrics_are_backtested_too(tmp_path: Path) -> None:
    """An OpenSLO spec as `analyze` writes it (ratioMetric good/total)."""
    golden = Path(__file__).resolve().parents[1] / "golden" / "spanmetrics-balanced"
    spec = golden / "expected" / "openslo" / "frontend.yaml"
    history = _history(tmp_path, True)
    history.write_text(history.read_text().replace("shop-checkout",
                                                   "frontend-post-api-checkout-availability"))
    code, output = _run(str(spec), "--history", str(history), "--json")
    assert code == 0, output
    rows = {r["slo"]: r for r in json.loads(output)["slos"]}
    row = rows["frontend-post-api-checkout-availability"]
    # at the spec's 99.95% the steady 0.2% alone is four times the budget
    assert row["objective"] == 99.95 and row["total"] == DAYS * 288 * 100
    assert not row["held"] and row["page"] >= 1 and row["budget_consumed"] > 4
    assert rows["frontend-post-api-checkout-latency"]["skipped"] == "no history for this SLO"
