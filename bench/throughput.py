"""Spans per second for (a) protobuf decode and field extraction alone and (b) full discovery.

Both passes read the same file in the same process, one after the other, so the ratio b/a says
what assembly, fingerprinting and the catalog cost on top of decoding, whatever the machine.
Wall time and this process's CPU time are both taken; the work is single-threaded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from bench.workload import read_chunks
from slo_scout.core.journeys import discover
from slo_scout.core.telemetry import decode_stream


@dataclass(frozen=True)
class Pass:
    spans: int
    wall_s: float
    cpu_s: float

    @property
    def rate(self) -> float:
        return self.spans / self.wall_s

    @property
    def cpu_rate(self) -> float:
        return self.spans / self.cpu_s


def decode_only(path: Path) -> Pass:
    wall, cpu = time.perf_counter(), time.process_time()
    spans = 0
    for batch in decode_stream(read_chunks(path), source=str(path), fmt="otlp-proto"):
        spans += len(batch)  # the spans are dropped here: this pass is decoding alone
    return Pass(spans, time.perf_counter() - wall, time.process_time() - cpu)


def full_discovery(path: Path) -> tuple[Pass, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = discover(decode_stream(read_chunks(path), source=str(path), fmt="otlp-proto"))
    return (
        Pass(result.span_count, time.perf_counter() - wall, time.process_time() - cpu),
        len(result.journeys),
    )
