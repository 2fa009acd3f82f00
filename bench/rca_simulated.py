"""Root causes on simulated faults: AS@k per fault kind, with and without span status.

Draws ``--faults`` faults with ``--seed`` over the built-in shop's services (error bursts,
latency regressions, network delays in turn; docs/rca.md, "Simulated faults"), simulates for
each a fault-free baseline, a recent past and the incident window, and ranks the suspects with
``investigate``, once as recorded and once with every status stripped. Prints one line per
kind, the totals with the seed, and the CPU time per investigation. ``--ranking FILE`` writes
each fault's top suspects as JSON Lines, to check by hand. Nothing is asserted.

    python -m bench.rca_simulated [--seed 1] [--faults 30] [--ranking ranking.jsonl]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from slo_scout.core.rca.simulated import evaluate
from slo_scout.core.simulate import default_shop


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rca_simulated", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--faults", type=int, default=30)
    parser.add_argument("--ranking", type=Path, default=None)
    args = parser.parse_args(argv)
    shop = default_shop()
    started = time.process_time()
    report = evaluate(shop, args.seed, args.faults)
    seconds = time.process_time() - started
    for line in report.lines():
        print(line)
    runs = len(report.outcomes)
    print(f"time per fault and variant: {seconds / max(runs, 1):.2f} s "
          f"(CPU, simulation and decoding included; {runs} runs)")
    if args.ranking:
        with args.ranking.open("w") as sink:
            for o in report.outcomes:
                sink.write(json.dumps({
                    "kind": o.fault.kind, "service": o.fault.service,
                    "operation": o.fault.operation, "strength": o.fault.strength,
                    "with_status": o.with_status, "rank": o.rank,
                    "rank_with_kind": o.rank_with_kind,
                    "suspects": [[s.service, s.kind, round(s.score, 2),
                                  sorted((k, round(v, 2)) for k, v in s.signals.items())]
                                 for s in o.suspects[:5]],
                }) + "\n")


if __name__ == "__main__":
    main()
