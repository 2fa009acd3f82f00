"""Journey builders for tests and golden cases: deterministic traffic, no randomness.

``build_journey`` makes a Journey from a few plain numbers; ``journeys_from_case`` reads a
golden case's ``input/case.json`` (the same numbers as data).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from slo_scout.core.journeys.model import (
    Entry,
    Journey,
    MinuteStats,
    StepShare,
    new_sketch,
)


def traffic(
    *,
    start_s: int,
    minutes: int,
    per_minute: int,
    error_every: int = 0,
    latencies_s: Sequence[float] = (0.05,),
    bad_minutes: Mapping[int, int] | None = None,
) -> dict[int, MinuteStats]:
    """``minutes`` minutes of ``per_minute`` requests from ``start_s`` (a minute boundary).

    Every ``error_every``-th request fails (0: none); latencies cycle through ``latencies_s``.
    ``bad_minutes`` maps a minute index to extra errors in that minute (an incident).
    """
    out: dict[int, MinuteStats] = {}
    cycle = itertools.cycle(latencies_s)
    n = 0
    for m in range(minutes):
        stats = MinuteStats()
        for _ in range(per_minute):
            n += 1
            stats.requests += 1
            if error_every and n % error_every == 0:
                stats.errors += 1
            stats.latency.add(next(cycle))
        if bad_minutes and m in bad_minutes:
            stats.errors = min(stats.requests, stats.errors + bad_minutes[m])
        out[start_s + 60 * m] = stats
    return out


def build_journey(
    *,
    name: str = "GET /api/orders",
    service: str = "frontend",
    operation: str = "/api/orders",
    span_name: str | None = None,
    method: str | None = "GET",
    protocol: str = "http",
    minutes: Mapping[int, MinuteStats] | None = None,
    critical_path: Sequence[StepShare] = (),
    journey_id: str | None = None,
) -> Journey:
    minutes = dict(minutes or {})
    latency = new_sketch()
    requests = errors = 0
    for stats in minutes.values():
        requests += stats.requests
        errors += stats.errors
        if stats.latency.count:
            latency.merge(stats.latency)
    keys = sorted(minutes)
    first = keys[0] if keys else 0
    last = keys[-1] + 60 if keys else 0
    return Journey(
        id=journey_id or f"j-{service}-{operation}".replace("/", "_"),
        name=name,
        entry=Entry(
            service=service,
            operation=operation,
            protocol=protocol,
            span_name=span_name or (f"{method} {operation}" if method else operation),
            method=method,
        ),
        fingerprint=f"fp-{service}-{operation}",
        services=(service, *sorted({s.service for s in critical_path} - {service})),
        edges=(),
        requests=requests,
        errors=errors,
        first_seen_ns=first * 1_000_000_000,
        last_seen_ns=last * 1_000_000_000,
        latency=latency,
        critical_path=tuple(critical_path),
        sample_trace_ids=(f"trace-{service}-1",),
        variants=(),
        minutes=minutes,
    )


def journeys_from_case(case: Mapping[str, Any]) -> list[Journey]:
    out = []
    for spec in case["journeys"]:
        t = spec["traffic"]
        minutes = traffic(
            start_s=int(t["start"]),
            minutes=int(t["minutes"]),
            per_minute=int(t["per_minute"]),
            error_every=int(t.get("error_every", 0)),
            latencies_s=tuple(float(v) for v in t.get("latencies_s", [0.05])),
            bad_minutes={int(k): int(v) for k, v in t.get("bad_minutes", {}).items()},
        )
        path = [
            StepShare(s["service"], s["operation"], float(s["share"]), float(s["error_ratio"]))
            for s in spec.get("critical_path", [])
        ]
        out.append(
            build_journey(
                name=spec["name"],
                service=spec["service"],
                operation=spec["operation"],
                span_name=spec.get("span_name"),
                method=spec.get("method"),
                protocol=spec.get("protocol", "http"),
                minutes=minutes,
                critical_path=path,
                journey_id=spec.get("id"),
            )
        )
    return out
