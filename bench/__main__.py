"""``python -m bench``: the figures issue 2 asks for, in one run.

1. Throughput on 1,000,000 simulated spans in OTLP protobuf (the file is written first, untimed):
   (a) decode and field extraction alone; (b) the issue's full path: decode, trace assembly and
   the fingerprint of every trace; (c) complete discovery as ``analyze`` runs it, which adds the
   journey catalog (critical paths, step and edge counts, latency sketches, variants) to (b).
   Goals (issue 2): (b) >= 300,000 spans/s on one core, and (b) >= (a) / 3. (c) has no goal of
   its own; it is printed, with (c)/(a), so the cost of the catalog is in plain sight.
   All passes run under analyze's GC settings (--default-gc: the interpreter's defaults). The
   three passes take turns --runs times (default 3) and each reports its fastest run.
2. Memory: peak RSS of discovery in a fresh process on N and on 10x N spans of the same traffic.
   Goal: the larger run's peak <= 1.5x the smaller's.

``--quick`` runs 200,000 spans and 50,000 / 500,000 for memory. Nothing is asserted: the table
marks each goal met or not, and the exit code is 0 either way.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.memory import measure
from bench.throughput import Pass, decode_only, fingerprint_path, full_discovery
from bench.workload import write_spans
from slo_scout import speedups

GOAL_RATE = 300_000
GOAL_RATIO = 1 / 3
GOAL_MEMORY = 1.5


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spans", type=int, default=1_000_000,
                        help="spans for the throughput passes (default 1,000,000)")
    parser.add_argument("--memory-spans", type=int, default=200_000,
                        help="N for the memory runs; the second run has 10x N (default 200,000)")
    parser.add_argument("--runs", type=int, default=3,
                        help="time each throughput pass this many times, report the fastest "
                        "(default 3)")
    parser.add_argument("--quick", action="store_true",
                        help="200,000 spans, memory on 50,000 and 500,000")
    parser.add_argument("--skip-memory", action="store_true", help="throughput only")
    parser.add_argument("--skip-throughput", action="store_true", help="memory only")
    parser.add_argument("--default-gc", action="store_true",
                        help="time with the interpreter's GC settings instead of analyze's")
    parser.add_argument("--api", action="store_true",
                        help="then run the control-plane API load bench (python -m bench.api)")
    args = parser.parse_args(argv)
    if args.quick:
        args.spans, args.memory_spans = 200_000, 50_000
    return args


def _mark(ok: bool) -> str:
    return "[green]met[/]" if ok else "[red]not met[/]"


def _fastest(passes: list[Pass]) -> Pass:
    # The fastest of several runs: what the code costs, with least of the machine's other load
    # in it (timeit's rule). The three passes take turns, so a noisy moment hits all alike.
    return min(passes, key=lambda p: p.wall_s)


def throughput(
    spans: int, folder: Path, out: Console, err: Console, tuned_gc: bool, runs: int
) -> None:
    path = folder / "throughput.pb"
    err.print(f"writing {spans:,} spans of the simulated shop (untimed)...")
    written = write_spans(path, spans)
    err.print("timing (a) decode, (b) decode + assembly + fingerprint, (c) full discovery...")
    results: dict[str, list[Pass]] = {"a": [], "b": [], "c": []}
    for _ in range(runs):
        results["a"].append(decode_only(path, tuned_gc=tuned_gc))
        results["b"].append(fingerprint_path(path, tuned_gc=tuned_gc))
        results["c"].append(full_discovery(path, tuned_gc=tuned_gc))
    a, b, c = (_fastest(results[k]) for k in "abc")
    gc_label = "analyze's GC settings" if tuned_gc else "default GC settings"
    table = Table(
        title=f"Throughput: {written:,} spans, OTLP protobuf, "
        f"{path.stat().st_size / 1e6:,.0f} MB, one process, {gc_label}, "
        f"fastest of {runs} run{'s' if runs > 1 else ''} each",
        title_justify="left",
    )
    for column in ("pass", "spans", "wall s", "spans/s", "CPU s", "spans/CPU-s", "found"):
        table.add_column(column, justify="left" if column == "pass" else "right")
    for name, p, found in (
        ("(a) decode + extract", a, ""),
        ("(b) decode + assembly + fingerprint", b, f"{b.found} fingerprints"),
        ("(c) full discovery (b + catalog)", c, f"{c.found} journeys"),
    ):
        table.add_row(name, f"{p.spans:,}", f"{p.wall_s:.2f}", f"{p.rate:,.0f}",
                      f"{p.cpu_s:.2f}", f"{p.cpu_rate:,.0f}", found)
    out.print(table)
    ratio = b.rate / a.rate
    out.print(f"(b) {b.rate:,.0f} spans/s, goal >= {GOAL_RATE:,}: {_mark(b.rate >= GOAL_RATE)}")
    out.print(f"(b)/(a) = {ratio:.2f}, goal >= {GOAL_RATIO:.2f}: {_mark(ratio >= GOAL_RATIO)}")
    out.print(f"(c)/(a) = {c.rate / a.rate:.2f} (no goal; complete discovery, "
              f"{c.rate:,.0f} spans/s)")
    path.unlink()


def memory(n: int, folder: Path, out: Console, err: Console) -> None:
    peaks = []
    for count in (n, n * 10):
        path = folder / f"memory-{count}.pb"
        err.print(f"writing {count:,} spans (untimed), then discovery in a fresh process...")
        write_spans(path, count)
        peaks.append((path.stat().st_size, measure(path)))
        path.unlink()
    table = Table(title="Peak memory of discovery (fresh process each)", title_justify="left")
    for column in ("run", "spans", "file MB", "journeys", "peak RSS MB"):
        table.add_column(column, justify="left" if column == "run" else "right")
    for label, (size, peak) in zip(("N", "10 x N"), peaks, strict=True):
        table.add_row(label, f"{peak.spans:,}", f"{size / 1e6:,.0f}", str(peak.journeys),
                      f"{peak.max_rss_bytes / 2**20:,.1f}")
    out.print(table)
    growth = peaks[1][1].max_rss_bytes / peaks[0][1].max_rss_bytes
    out.print(f"peak RSS 10xN / N = {growth:.2f}, goal <= {GOAL_MEMORY}: "
              f"{_mark(growth <= GOAL_MEMORY)}")


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    out = Console(highlight=False)
    if not out.is_terminal:
        out = Console(highlight=False, width=120)  # a log or a pipe: keep each table row on a line
    err = Console(stderr=True, highlight=False)
    compiled = len(speedups.in_use())
    hot_path = (f"hot path compiled ({compiled} of {len(speedups.MODULES)} modules)" if compiled
                else "hot path from Python sources")
    out.print(f"SLO Scout benchmark · Python {platform.python_version()} · {platform.machine()} · "
              f"{hot_path}")
    with tempfile.TemporaryDirectory(prefix="slo-scout-bench-") as tmp:
        if not args.skip_throughput:
            throughput(args.spans, Path(tmp), out, err, not args.default_gc, max(args.runs, 1))
        if not args.skip_memory:
            memory(args.memory_spans, Path(tmp), out, err)
    if args.api:
        from bench import api  # starts a server and needs the API's dependencies: only on request

        out.print()
        return api.main([])
    return 0


if __name__ == "__main__":
    sys.exit(main())
