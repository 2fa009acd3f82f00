"""Hostile records through `slo-scout analyze` as a process: one clear line naming the file,
the record and the field (exit 1), or with --skip-invalid every good record analysed (exit 0);
never a traceback, and no more memory than the good records alone take."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from tests.fixtures.hostile_records import MIB, PeakRss, late_span, otlp_json

# The bad record adds one span to twenty: the peak may differ by allocator noise, not by more.
EXTRA_PEAK_BOUND = 32 * MIB


def _zipkin(late: bool) -> bytes:
    spans = [{"traceId": f"{i + 1:032x}", "id": f"{i + 1:016x}", "name": "get /checkout",
              "kind": "SERVER", "timestamp": 1_700_000_000_000_000 + i, "duration": 5000,
              "localEndpoint": {"serviceName": "hostile-shop"},
              "tags": {"http.route": "/checkout", "http.method": "GET"}} for i in range(20)]
    if late:
        spans.append({**spans[0], "traceId": "f" * 32, "id": "e" * 16,
                      "timestamp": 2**70 // 1000})
    return json.dumps(spans).encode()


FILES = {
    "otlp-json": (lambda late: otlp_json(20, late_span(2**70) if late else None),
                  "startTimeUnixNano", "traces.json"),
    "zipkin": (_zipkin, "timestamp", "zipkin.json"),
}


def _analyze(path: Path, out: Path, *flags: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """Runs the command and returns it with its peak resident memory."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "from slo_scout.cli.main import app; app()", "analyze",
         str(path), "-o", str(out), "--format", _fmt(path), *flags],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with PeakRss(proc.pid) as rss:
            stdout, stderr = proc.communicate(timeout=300)
    except psutil.NoSuchProcess:  # it ended before the first sample
        stdout, stderr = proc.communicate(timeout=300)
        return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr), 0
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr), rss.peak


def _fmt(path: Path) -> str:
    return "zipkin" if path.name.startswith("zipkin") else "otlp-json"


@pytest.mark.parametrize("fmt", sorted(FILES))
def test_a_span_past_2_63_ns_is_one_line_naming_file_record_and_field(
    tmp_path: Path, fmt: str,
) -> None:
    build, field, name = FILES[fmt]
    bad = tmp_path / name
    bad.write_bytes(build(True))
    done, _ = _analyze(bad, tmp_path / "out")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "OverflowError" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1
    assert str(bad) in lines[0] and "record 20" in lines[0] and field in lines[0]


@pytest.mark.parametrize("fmt", sorted(FILES))
def test_with_skip_invalid_every_good_trace_is_analysed_in_the_same_memory(
    tmp_path: Path, fmt: str,
) -> None:
    build, field, name = FILES[fmt]
    good, bad = tmp_path / "good" / name, tmp_path / "bad" / name
    for path, late in ((good, False), (bad, True)):
        path.parent.mkdir()
        path.write_bytes(build(late))
    clean, clean_peak = _analyze(good, tmp_path / "good-out", "--skip-invalid")
    done, peak = _analyze(bad, tmp_path / "bad-out", "--skip-invalid")
    assert clean.returncode == 0, clean.stderr
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "skipped 1 bad records" in done.stderr and field in done.stderr
    journeys = json.loads((tmp_path / "bad-out" / "journeys.json").read_text())
    assert sum(j["requests"] for j in journeys["journeys"]) == 20
    assert journeys == json.loads((tmp_path / "good-out" / "journeys.json").read_text())
    if clean_peak and peak:
        assert peak - clean_peak < EXTRA_PEAK_BOUND
