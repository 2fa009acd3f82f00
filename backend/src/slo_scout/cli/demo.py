"""``slo-scout demo``: the simulated shop through discovery, end to end, in seconds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from slo_scout.cli._console import fail, journeys_table, note, print_table
from slo_scout.cli.analyze import DEFAULT_IDLE_S, Inputs, decode_sources, write_outputs
from slo_scout.core.errors import SloScoutError
from slo_scout.core.journeys import Discovery, discover
from slo_scout.core.simulate import Simulation, default_shop, encode

DEMO_SOURCE = "simulated-shop.otlp.pb"

HELP = """Run the built-in shop's simulated traffic through discovery and write the report.

Simulates the default shop (every request enters through frontend-proxy "HTTP POST"; seven
kinds of request below it, an error burst in payments and a latency regression in the
catalog), encodes it as OTLP protobuf in memory, decodes and discovers journeys exactly as
`analyze` does, prints the journeys and writes into --out: journeys.json, report.html,
ground-truth.json (what the simulation really contained, to compare) and the SLO artifacts
(recommendations, Sloth/OpenSLO/Pyrra specs, Prometheus rules, Grafana dashboards, runbooks).

Examples:

    slo-scout demo --out demo-out

    # more traffic, another seed
    slo-scout demo --out demo-out --traces 100000 --seed 7
"""


def compare_with_truth(discovery: Discovery, truth: dict[str, Any]) -> list[str]:
    """Known journeys that discovery missed, merged or miscounted; empty when all match.

    A known journey matches the discovered one with the same entry (service, operation and,
    for HTTP, method) and the same request count.
    """
    misses = []
    for name, known in sorted(truth["journeys"].items()):
        entry = known["entry"]
        found = [
            j for j in discovery.journeys
            if j.entry.service == entry["service"] and j.entry.operation == entry["operation"]
            and (entry["method"] is None or j.entry.method == entry["method"])
        ]
        counts = sorted(j.requests for j in found)
        if counts != [known["requests"]]:
            misses.append(f"{name}: {known['requests']:,} requests known, found {counts}")
    return misses


def demo_command(
    out: Path = typer.Option(Path("demo-out"), "--out", "-o", file_okay=False,  # noqa: B008
                             help="Folder for the results."),
    traces: int = typer.Option(20_000, min=1, help="Simulated requests."),
    seed: int = typer.Option(42, help="Simulation seed."),
) -> None:
    sim = Simulation(default_shop(), seed=seed, traces=traces)
    chunks = encode(sim.batches(), sim.resources, "otlp-proto", "delimited")
    inputs = Inputs()
    try:
        batches = decode_sources([(DEMO_SOURCE, chunks)], inputs, fmt="otlp-proto",
                                 skip_invalid=False, csv_columns=None)
        discovery = discover(batches, idle_ns=int(DEFAULT_IDLE_S * 1e9))
        written = write_outputs(discovery, inputs, out, title="SLO Scout demo: the simulated shop")
    except SloScoutError as exc:
        fail(exc)
    truth = sim.truth.to_dict()
    truth_path = out / "ground-truth.json"
    truth_path.write_text(json.dumps(truth, indent=2, sort_keys=True) + "\n")
    print_table(journeys_table(discovery.journeys))
    misses = compare_with_truth(discovery, truth)
    if misses:
        note(f"ground truth: {len(misses)} known journeys not matched exactly:")
        for miss in misses:
            note(f"  {miss}")
    else:
        note(f"ground truth: all {len(truth['journeys'])} known journeys found, "
             "each with its exact request count")
    note(
        f"simulated {truth['traces']:,} requests of {len(truth['journeys'])} known journeys "
        f"({truth['spans']:,} spans); discovery found {len(discovery.journeys)} journeys -> "
        f"{out / 'report.html'}, {out / 'journeys.json'}, {truth_path} and "
        f"{len(written) - 2} SLO artifact files in {out}"
    )


demo_command.__doc__ = HELP
