"""The benchmark's input: the simulated shop as OTLP protobuf files, made before any timing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from slo_scout.core.simulate import Simulation, default_shop, encode

SEED = 20240601
READ_CHUNK = 1024 * 1024


def write_spans(path: Path, spans: int, *, seed: int = SEED) -> int:
    """Write about ``spans`` spans of the default shop, collector-framed; returns the exact count.

    The same seed and rate for every size: a bigger file is the same traffic running longer,
    which is what "10x more spans of the same traffic" means for the memory figure.
    """
    sim = Simulation(default_shop(), seed=seed, spans=spans)
    with path.open("wb") as sink:
        for chunk in encode(sim.batches(), sim.resources, "otlp-proto", "delimited"):
            sink.write(chunk)
    return sim.truth.spans


def read_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(READ_CHUNK):
            yield chunk
