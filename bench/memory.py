"""Peak memory of discovery on N and on 10x N spans of the same traffic, each in a fresh process.

The child (``python -m bench.memory PATH``) decodes and discovers exactly as ``analyze`` does; the
parent reads the child's peak resident set from ``wait4``'s resource usage, so the figure is that
process's own, with nothing inherited from the benchmark that spawned it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.workload import read_chunks


@dataclass(frozen=True)
class Peak:
    spans: int
    journeys: int
    max_rss_bytes: int


def measure(path: Path) -> Peak:
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.memory", str(path)],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert child.stdout is not None
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"memory child failed on {path} with exit code {child.returncode}")
    result = json.loads(out)
    # Linux reports ru_maxrss in kibibytes.
    return Peak(result["spans"], result["journeys"], usage.ru_maxrss * 1024)


def _child(path: Path) -> None:
    from slo_scout.core.journeys import discover
    from slo_scout.core.telemetry import decode_stream
    from slo_scout.gc_tuning import batch_gc

    with batch_gc():
        result = discover(decode_stream(read_chunks(path), source=str(path), fmt="otlp-proto"))
    json.dump({"spans": result.span_count, "journeys": len(result.journeys)}, sys.stdout)


if __name__ == "__main__":
    _child(Path(sys.argv[1]))
