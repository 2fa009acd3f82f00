"""``slo-scout simulate``: OTLP traces of a shop with known journeys, plus the ground truth."""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import IO

import typer
import yaml

from slo_scout.cli._console import fail, note, usage_error
from slo_scout.core.errors import SloScoutError
from slo_scout.core.simulate import (
    DEFAULT_START_S,
    Scenario,
    Simulation,
    default_shop,
    encode,
    scenario_from_dict,
)
from slo_scout.core.simulate.generator import expected_spans_per_request

# Above this many spans, protobuf output is framed (length-prefixed) so readers can stream it.
FRAME_ABOVE_SPANS = 100_000

HELP = """Write simulated OTLP traces of a shop whose journeys are known.

Every request enters through one gateway operation with the same name (frontend-proxy
"HTTP POST"); the kinds of request differ only below it. The run includes cache hits that
skip the database, retried payments, optional steps, an error burst and a latency regression.
The ground truth (journey -> entry, services, request and error counts) is written beside the
output as NAME.truth.json.

The same --seed and options give byte-identical files.

Examples:

    # 2,000 traces of the built-in shop as OTLP/JSON
    slo-scout simulate --out shop.json

    # a million spans, protobuf, framed as the collector writes it
    slo-scout simulate --spans 1000000 -f otlp-proto --gzip --out big.pb.gz

    # JSON lines to stdout
    slo-scout simulate --traces 500 -f otlp-jsonl --out - | head -c 300

    # your own system: an hour at 20 requests per second
    slo-scout simulate --scenario my-shop.yaml --duration 3600 --rate 20 \\
        --out hour.json
"""


class Format(StrEnum):
    otlp_json = "otlp-json"
    otlp_jsonl = "otlp-jsonl"
    otlp_proto = "otlp-proto"


class Framing(StrEnum):
    auto = "auto"
    single = "single"
    delimited = "delimited"


def load_scenario(path: Path | None) -> Scenario:
    if path is None:
        return default_shop()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        usage_error(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})")
    return scenario_from_dict(data, source=str(path))


def truth_path(out: Path) -> Path:
    """``shop.pb.gz`` -> ``shop.truth.json``, beside the output."""
    name = out.name
    for suffix in (".gz", ".json", ".jsonl", ".pb", ".binpb", ".otlp", ".proto"):
        name = name.removesuffix(suffix)
    return out.with_name(f"{name or 'traces'}.truth.json")


def write_chunks(chunks: Iterator[bytes], sink: IO[bytes], compress: bool) -> int:
    written = 0
    if compress:
        # mtime=0 and no file name in the header: the same input gives the same bytes.
        with gzip.GzipFile(fileobj=sink, mode="wb", mtime=0, filename="") as gz:
            for chunk in chunks:
                gz.write(chunk)
                written += len(chunk)
    else:
        for chunk in chunks:
            sink.write(chunk)
            written += len(chunk)
    return written


def simulate_command(
    out: str = typer.Option(..., "--out", "-o", help="Output file, or - for stdout."),
    seed: int = typer.Option(42, help="Seed: same seed and options, same bytes."),
    traces: int | None = typer.Option(None, min=1, help="Number of traces (default 2000)."),
    spans: int | None = typer.Option(
        None, min=1, help="Stop at the first trace boundary past this many spans."
    ),
    rate: float | None = typer.Option(None, min=0.001, help="Requests per second (default 50)."),
    start: float = typer.Option(
        DEFAULT_START_S, help="Start time, Unix seconds (default fixed for reproducibility)."
    ),
    duration: float | None = typer.Option(None, min=0.001, help="Seconds of traffic."),
    fmt: Format = typer.Option(Format.otlp_json, "--format", "-f", help="Output encoding."),  # noqa: B008
    framing: Framing = typer.Option(  # noqa: B008
        Framing.auto,
        help="otlp-proto only: one message, or 4-byte length-prefixed messages as the "
        f"collector's file exporter writes; auto frames above {FRAME_ABOVE_SPANS:,} spans.",
    ),
    compress: bool = typer.Option(False, "--gzip", help="Compress the output with gzip."),
    scenario_file: Path | None = typer.Option(  # noqa: B008
        None, "--scenario", exists=True, dir_okay=False, help="YAML scenario (default: the shop)."
    ),
    truth: Path | None = typer.Option(  # noqa: B008
        None, help="Ground-truth JSON path (default NAME.truth.json beside --out)."
    ),
    batch_spans: int = typer.Option(4096, min=1, help="Spans per exported batch."),
) -> None:
    try:
        scenario = load_scenario(scenario_file)
        sim = Simulation(scenario, seed=seed, start_s=start, traces=traces, spans=spans,
                         duration_s=duration, rate=rate)
    except SloScoutError as exc:
        fail(exc)
    per_request = expected_spans_per_request(scenario)
    if spans is not None:
        planned = float(spans)
    elif sim.traces_limit is not None:
        planned = sim.traces_limit * per_request
    else:
        planned = sim.run_s * sim.rate * per_request
    chosen = framing.value
    if chosen == "auto":
        chosen = "delimited" if planned > FRAME_ABOVE_SPANS else "single"
    chunks = encode(sim.batches(batch_spans), sim.resources, fmt.value, chosen)  # type: ignore[arg-type]
    if out == "-":
        written = write_chunks(chunks, sys.stdout.buffer, compress)
        sys.stdout.buffer.flush()
    else:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as sink:
            written = write_chunks(chunks, sink, compress)
    truth_file = truth if truth is not None else (None if out == "-" else truth_path(Path(out)))
    if truth_file is not None:
        truth_file.write_text(json.dumps(sim.truth.to_dict(), indent=2, sort_keys=True) + "\n")
    t = sim.truth
    framed = f", {chosen}" if fmt is Format.otlp_proto else ""
    note(
        f"simulated {t.traces:,} traces, {t.spans:,} spans, {len(scenario.journeys)} journeys "
        f"({fmt.value}{framed}{', gzip' if compress else ''}, {written:,} bytes before "
        f"compression) -> {out}" + (f"; ground truth -> {truth_file}" if truth_file else "")
    )


simulate_command.__doc__ = HELP
