"""Spans per second for the three passes issue 2's benchmark compares, on one file.

(a) protobuf decode and field extraction alone; (b) the issue's "full path": decode, trace
assembly and the structural fingerprint of every trace; (c) complete discovery as ``analyze``
runs it: (b) plus the journey catalog (critical paths, per-step and per-edge counts, latency
sketches, variants). All three read the same file in the same process, one after the other,
under the same GC settings as ``analyze`` (:func:`slo_scout.gc_tuning.batch_gc`) unless the
caller asks for the interpreter's defaults, so the ratios say what each stage costs on top of
decoding, whatever the machine. Wall time and this process's CPU time are both taken; the work
is single-threaded.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.workload import read_chunks
from slo_scout.core.journeys import TraceAssembler, discover, fingerprint_of
from slo_scout.core.telemetry import decode_stream
from slo_scout.core.telemetry.model import Span
from slo_scout.gc_tuning import batch_gc


@dataclass(frozen=True)
class Pass:
    spans: int
    wall_s: float
    cpu_s: float
    found: int  # (b) distinct fingerprints, (c) journeys; 0 for (a)

    @property
    def rate(self) -> float:
        return self.spans / self.wall_s

    @property
    def cpu_rate(self) -> float:
        return self.spans / self.cpu_s


def _batches(path: Path) -> Iterator[list[Span]]:
    return decode_stream(read_chunks(path), source=str(path), fmt="otlp-proto")


def _timed(work: Callable[[], tuple[int, int]], tuned_gc: bool) -> Pass:
    with batch_gc() if tuned_gc else contextlib.nullcontext():
        wall, cpu = time.perf_counter(), time.process_time()
        spans, found = work()
        return Pass(spans, time.perf_counter() - wall, time.process_time() - cpu, found)


def decode_only(path: Path, *, tuned_gc: bool = True) -> Pass:
    def work() -> tuple[int, int]:
        spans = 0
        for batch in _batches(path):
            spans += len(batch)  # the spans are dropped here: this pass is decoding alone
        return spans, 0

    return _timed(work, tuned_gc)


def fingerprint_path(path: Path, *, tuned_gc: bool = True) -> Pass:
    def work() -> tuple[int, int]:
        assembler = TraceAssembler()
        fingerprints: set[str] = set()
        spans = 0
        for batch in _batches(path):
            for trace in assembler.add(batch):
                spans += trace.span_count
                fingerprints.add(fingerprint_of(trace))
        for trace in assembler.close():
            spans += trace.span_count
            fingerprints.add(fingerprint_of(trace))
        return spans, len(fingerprints)

    return _timed(work, tuned_gc)


def full_discovery(path: Path, *, tuned_gc: bool = True) -> Pass:
    def work() -> tuple[int, int]:
        result = discover(_batches(path))
        return result.span_count, len(result.journeys)

    return _timed(work, tuned_gc)
