"""Do recommended targets hold? Past day / next day on the simulated shop, over seed pairs.

For each seed pair (s, s+1): one simulated day of the built-in shop (``--traces`` requests over
86,400 s, seed s, its error burst and latency regression included) goes through discovery
exactly as ``analyze`` runs it (OTLP protobuf encoded, decoded, assembled) and gets the
recommendations ``analyze`` writes (balanced strategy unless ``--strategy``, the spanmetrics
family). The next day is the same system (same scenario without the one-off incidents, seed
s+1, starting where the first day ends), discovered the same way. Each journey and SLI is then
judged on the next day:

- objective: the recommendation has one (status ``ok`` or ``below standard targets``);
- holds: the next day's measured ratio is at or above the objective (latency: at least the
  objective's share of requests no slower than the recommended threshold);
- steps looser: how far the objective lies below what the next day's 95% Wilson lower bound
  supports: for availability, rungs of the target ladder between the objective and the
  strictest rung at or below the lower bound; for latency, bucket boundaries between the
  recommended threshold and the smallest boundary at which the lower bound reaches the
  objective. Goal: at most 1.

The demo check: ``slo-scout demo``'s simulation (20,000 traces, seed 42) gives the checkout
journey an objective and shows its incident. Nothing is asserted: each goal is printed met or
not and the exit code is 0 either way.

``python -m bench.recommendations [--pairs 5,6 7,8 ...] [--traces N] [--strategy S]``
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from slo_scout.core.journeys import Discovery, discover
from slo_scout.core.journeys.model import Journey
from slo_scout.core.recommend import TARGET_LADDER, Recommendation, Strategy, recommend_journey
from slo_scout.core.recommend.history import count_at_most, merge_windows, split_history
from slo_scout.core.recommend.stats import wilson
from slo_scout.core.simulate import DEFAULT_START_S, Simulation, default_shop, encode
from slo_scout.core.slis import FAMILIES, FamilyKind, MetricFamily, SliKind
from slo_scout.core.telemetry import decode_stream

DAY_S = 86_400
DEFAULT_PAIRS = ((5, 6), (7, 8), (11, 12))
DEFAULT_TRACES = 30_000
DEMO_TRACES, DEMO_SEED = 20_000, 42
FAMILY = FAMILIES[FamilyKind.SPANMETRICS]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One journey and SLI of one seed pair, judged on the next day."""

    seeds: tuple[int, int]
    journey: str
    sli: str
    status: str
    objective: float | None
    threshold_s: float | None
    incidents: int
    next_total: int
    next_ratio: float | None  # at the recommended threshold for latency
    next_low: float | None
    holds: bool | None
    steps_looser: int | None

    @property
    def has_objective(self) -> bool:
        return self.objective is not None


def simulate_day(seed: int, traces: int, *, day: int, incidents: bool) -> Discovery:
    """One simulated day of the shop, discovered as ``analyze`` discovers a recording."""
    shop = default_shop()
    if not incidents:
        shop = dataclasses.replace(shop, incidents=())
    sim = Simulation(shop, seed=seed, traces=traces, rate=traces / DAY_S,
                     start_s=DEFAULT_START_S + day * DAY_S)
    chunks = encode(sim.batches(), sim.resources, "otlp-proto", "delimited")
    return discover(decode_stream(chunks, source=f"seed-{seed}", fmt="otlp-proto"),
                    idle_ns=30_000_000_000)


def end_of_data(journeys: Sequence[Journey]) -> int:
    """``analyze``'s "now": the end of the minute of the last request seen."""
    return math.ceil(max(j.last_seen_ns for j in journeys) / 60e9) * 60


def _looser_rungs(objective: float, low: float) -> int:
    supported = [t for t in TARGET_LADDER if t <= round(low * 100, 9)]
    if not supported:
        return 0
    return max(0, TARGET_LADDER.index(max(supported)) - TARGET_LADDER.index(objective))


def judge(rec: Recommendation, later: Journey | None, seeds: tuple[int, int], name: str,
          family: MetricFamily = FAMILY) -> Outcome:
    """``rec`` (made on the past day) against the next day's traffic of the same journey."""
    base = {"seeds": seeds, "journey": name, "sli": rec.kind.value, "status": rec.status.value,
            "objective": rec.objective, "threshold_s": rec.threshold_s,
            "incidents": len(rec.evidence.incidents)}
    if later is None or later.requests == 0:
        return Outcome(**base, next_total=0, next_ratio=None, next_low=None, holds=None,
                       steps_looser=None)
    now = end_of_data([later])
    window = merge_windows(split_history(later, now_s=now, lookback_s=2 * DAY_S, windows=1))[0]
    total = window.total
    if rec.kind is SliKind.AVAILABILITY:
        good = total - min(total, sum(m.errors for m in later.minutes.values()))
        low = wilson(good, total).low
        holds = steps = None
        if rec.objective is not None:
            holds = good / total >= rec.objective / 100 - 1e-12
            steps = _looser_rungs(rec.objective, low)
        return Outcome(**base, next_total=total, next_ratio=good / total, next_low=low,
                       holds=holds, steps_looser=steps)
    target = (rec.objective or 99.0) / 100
    by_threshold = {b: min(total, round(count_at_most(window.sketch, b)))
                    for b in family.buckets_s}
    supported = next((b for b in family.buckets_s
                      if wilson(by_threshold[b], total).low >= target), None)
    if rec.threshold_s is None:
        return Outcome(**base, next_total=total, next_ratio=None, next_low=None, holds=None,
                       steps_looser=None)
    good = by_threshold[rec.threshold_s]
    steps = 0
    if supported is not None:
        steps = max(0, family.buckets_s.index(rec.threshold_s)
                    - family.buckets_s.index(supported))
    return Outcome(**base, next_total=total, next_ratio=good / total,
                   next_low=wilson(good, total).low, holds=good / total >= target - 1e-12,
                   steps_looser=steps)


def evaluate_pair(seed: int, next_seed: int, traces: int, strategy: Strategy) -> list[Outcome]:
    past = simulate_day(seed, traces, day=0, incidents=True)
    following = simulate_day(next_seed, traces, day=1, incidents=False)
    later = {j.id: j for j in following.journeys}
    now = end_of_data(past.journeys)
    out = []
    for journey in sorted(past.journeys, key=lambda j: j.name):
        # the rule's own answers: a provisional draft is not an objective the evidence backs
        for rec in recommend_journey(journey, FAMILY, strategy=strategy, now_s=now,
                                     draft_thin=False):
            name = journey.name.split(" (")[0]
            out.append(judge(rec, later.get(journey.id), (seed, next_seed), name))
    return out


def demo_checkout() -> Recommendation:
    """The availability recommendation ``slo-scout demo`` gives the checkout journey."""
    sim = Simulation(default_shop(), seed=DEMO_SEED, traces=DEMO_TRACES)
    chunks = encode(sim.batches(), sim.resources, "otlp-proto", "delimited")
    found = discover(decode_stream(chunks, source="demo", fmt="otlp-proto"),
                     idle_ns=30_000_000_000)
    checkout = next(j for j in found.journeys if j.entry.operation == "/api/checkout")
    now = end_of_data(found.journeys)
    return recommend_journey(checkout, FAMILY, strategy=Strategy.BALANCED, now_s=now,
                             draft_thin=False)[0]


def _pct(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}"


def _target(o: Outcome) -> str:
    if o.objective is None:
        return o.status
    if o.sli == SliKind.LATENCY.value:
        return f"{o.objective:g}% ≤ {o.threshold_s:g} s"
    return f"{o.objective:g}%" + (" (below std)" if o.status != "ok" else "")


def report(outcomes: Sequence[Outcome], console: Console) -> None:
    table = Table(title="Past day -> next day (balanced, spanmetrics buckets)")
    for column in ("seeds", "journey", "sli", "recommended", "incidents", "next day",
                   "next Wilson low", "holds", "steps looser"):
        table.add_column(column)
    for o in outcomes:
        table.add_row(f"{o.seeds[0]}/{o.seeds[1]}", o.journey, o.sli, _target(o),
                      str(o.incidents), f"{_pct(o.next_ratio)}% of {o.next_total:,}",
                      f"{_pct(o.next_low)}%", "–" if o.holds is None else str(o.holds),
                      "–" if o.steps_looser is None else str(o.steps_looser))
    console.print(table)


def goals(outcomes: Sequence[Outcome]) -> list[tuple[str, bool]]:
    judged = [o for o in outcomes if o.next_total]
    return [
        ("every journey and SLI gets an objective", all(o.has_objective for o in outcomes)),
        ("none breaks the next day", all(o.holds for o in judged if o.has_objective)),
        ("none more than one step looser than the next day's Wilson lower bound supports",
         all((o.steps_looser or 0) <= 1 for o in judged)),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.recommendations")
    parser.add_argument("--pairs", nargs="*", default=[f"{a},{b}" for a, b in DEFAULT_PAIRS],
                        help="seed pairs PAST,NEXT (default: %(default)s)")
    parser.add_argument("--traces", type=int, default=DEFAULT_TRACES,
                        help="requests per simulated day")
    parser.add_argument("--strategy", type=Strategy, default=Strategy.BALANCED)
    parser.add_argument("--no-demo", action="store_true", help="skip the demo checkout check")
    args = parser.parse_args(argv)
    console = Console(width=150)
    outcomes: list[Outcome] = []
    for pair in args.pairs:
        seed, next_seed = (int(x) for x in pair.split(","))
        console.print(f"seed pair {seed}/{next_seed}: simulating two days of "
                      f"{args.traces:,} requests each ...")
        outcomes.extend(evaluate_pair(seed, next_seed, args.traces, args.strategy))
    report(outcomes, console)
    results = goals(outcomes)
    if not args.no_demo:
        rec = demo_checkout()
        shown = bool(rec.evidence.incidents)
        console.print(f"demo (seed {DEMO_SEED}, {DEMO_TRACES:,} traces) checkout availability: "
                      f"{rec.status.value}, objective {rec.objective}, "
                      f"{len(rec.evidence.incidents)} incident(s) shown")
        results.append(("the demo's checkout gets an objective and its incident is shown",
                        rec.objective is not None and shown))
    for text, met in results:
        console.print(f"[{'green' if met else 'red'}]{'met' if met else 'NOT met'}[/]: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
