"""Root causes on network delays replayed into the public day's real traces.

The public day has no network faults. For each of ``--faults`` draws (seeded), one of the
day's injection times ``T``, a service called in the traces before it and a delay of 20 to
200 ms are drawn. The traces that ended before ``T`` (in the minute file named for it: the
recording's only minute before that fault) are split at their median start: the later half
is replayed with that service's outgoing packets delayed (``core/rca/delayed.py``, as
ChaosMesh's NetworkChaos delays a pod's egress) and ranked with ``investigate`` against the
day's fault-free baseline, with the earlier half as the recent past. Their log lines come
along unchanged; pod metrics are left out (they would not show the replayed delay). Prints
AS@k for the service, and for the service with a network or latency kind. ``--ranking FILE``
writes each draw's top suspects as JSON Lines. Nothing is asserted.

    python -m bench.rca_delayed [--seed 1] [--faults 30] [--ranking ranking.jsonl]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from datetime import UTC
from pathlib import Path

from slo_scout.cli import _rca_dataset as dataset
from slo_scout.core.rca.analysis import Telemetry, investigate
from slo_scout.core.rca.delayed import delay_egress
from slo_scout.core.rca.evaluation import Tally, position
from slo_scout.core.rca.signals import remote_calls

ROOT = Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets" / "nezha-trainticket"
DAY = "2023-01-29"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rca_delayed", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--faults", type=int, default=30)
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--ranking", type=Path, default=None)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    day = dataset.load_day(args.root, DAY)
    times = [f.inject_time for f in dataset.faults(args.root, DAY)]  # only as moments in the day
    service, kind, cpu, rows = Tally(), Tally(), 0.0, []
    for _ in range(args.faults):
        at = rng.choice(times)
        at_ns = int(at.replace(tzinfo=UTC).timestamp()) * 1_000_000_000
        # The recording keeps three minute files per fault, the first ending at the injection:
        # its traces that ended before it are fault-free of that fault. The later half of them
        # is the incident, the earlier half its recent past.
        spans, raw = dataset.minute_before(day, at, at_ns)
        starts = {}
        for span in spans:
            starts[span.trace_id] = min(starts.get(span.trace_id, span.start_ns), span.start_ns)
        middle = sorted(starts.values())[len(starts) // 2]
        late = {trace for trace, start in starts.items() if start >= middle}
        recent_spans = [s for s in spans if s.trace_id not in late]
        raw_recent = [r for r in raw if r.trace_id not in late]
        spans = [s for s in spans if s.trace_id in late]
        raw = [r for r in raw if r.trace_id in late]
        calls = Counter(server.service for _, server in remote_calls(spans))
        target, delay_ms = rng.choice(sorted(calls)), rng.uniform(20.0, 200.0)
        day.miner.learn(raw_recent)
        day.miner.learn(raw)
        incident = Telemetry(delay_egress(spans, target, int(delay_ms * 1e6)),
                             day.miner.templated(raw))
        baseline = Telemetry(day.baseline.spans, day.miner.templated(day.baseline.logs))
        recent = Telemetry(recent_spans, day.miner.templated(raw_recent))
        started = time.process_time()
        suspects = investigate(incident, baseline, recent).suspects
        cpu += time.process_time() - started
        rank = position(suspects, target)
        service.add(rank)
        kind.add(position(suspects, target, "network_delay"))
        rows.append({"at": at.isoformat(), "service": target, "delay_ms": round(delay_ms, 1),
                     "calls": calls[target],
                     "rank": rank, "suspects": [[s.service, s.kind, round(s.score, 2)]
                                                for s in suspects[:5]]})
    print(service.line(f"network_delay replayed (service), seed {args.seed}"))
    print(kind.line(f"network_delay replayed (service and kind), seed {args.seed}"))
    print(f"time per incident: {cpu / max(args.faults, 1):.2f} s (CPU, ranking only)")
    if args.ranking:
        args.ranking.write_text("".join(json.dumps(row) + "\n" for row in rows))


if __name__ == "__main__":
    main()
