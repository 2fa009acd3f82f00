"""A journey key's accumulator <-> compact JSON, so stored runtimes can merge and fold it.

Everything but the per-minute series is kept (the stores keep minutes as rows of their own, so
retention can drop old minutes without touching the key). Decoding gives an accumulator that
merges exactly like the one encoded: counts are integers and sketches keep their bins.
"""

from __future__ import annotations

import json
from typing import Any

from slo_scout.core.journeys.fingerprint import Shape
from slo_scout.core.journeys.keystats import KeyStats, VariantStats
from slo_scout.core.journeys.model import Entry
from slo_scout.core.journeys.sketch_codec import decode_sketch, encode_sketch

CODEC_VERSION = 1


def _shape_in(value: Any) -> Shape:
    service, operation, repeated, children = value
    return (service, operation, bool(repeated), tuple(_shape_in(child) for child in children))


def encode_keystats(stats: KeyStats) -> str:
    e = stats.entry
    body = {
        "v": CODEC_VERSION,
        "id": stats.key_id,
        "fp": stats.fingerprint,
        "entry": [e.service, e.operation, e.protocol, e.span_name, e.method],
        "generic": stats.generic,
        "direct": sorted(stats.direct),
        "requests": stats.requests,
        "errors": stats.errors,
        "first": stats.first_ns,
        "last": stats.last_ns,
        "latency": encode_sketch(stats.latency),
        "edges": sorted([*edge, calls] for edge, calls in stats.edges.items()),
        "steps": sorted([*step, *counts] for step, counts in stats.steps.items()),
        "samples": [list(sample) for sample in stats.samples],
        "variants": sorted(
            [fp, v.shape, v.requests, list(v.example)] for fp, v in stats.variants.items()
        ),
    }
    return json.dumps(body, separators=(",", ":"))


def decode_keystats(text: str) -> KeyStats:
    body = json.loads(text)
    if body.get("v") != CODEC_VERSION:
        raise ValueError(f"journey key summary version {body.get('v')!r} is not {CODEC_VERSION}")
    service, operation, protocol, span_name, method = body["entry"]
    stats = KeyStats(
        key_id=body["id"],
        fingerprint=body["fp"],
        entry=Entry(service, operation, protocol, span_name, method),
        generic=body["generic"],
        direct=frozenset((s, o) for s, o in body["direct"]),
        requests=body["requests"],
        errors=body["errors"],
        first_ns=body["first"],
        last_ns=body["last"],
        latency=decode_sketch(body["latency"]),
    )
    stats.edges = {(a, b, op): calls for a, b, op, calls in body["edges"]}
    stats.steps = {(s, o): [spans, errors, cp] for s, o, spans, errors, cp in body["steps"]}
    stats.samples = [(start, trace_id) for start, trace_id in body["samples"]]
    stats.variants = {
        fp: VariantStats(_shape_in(shape), requests, (example[0], example[1]))
        for fp, shape, requests, example in body["variants"]
    }
    return stats


StepCounts = dict[tuple[str, str], list[int]]


def encode_steps(steps: StepCounts) -> str:
    """One minute's step counts: ``[[service, operation, spans, errors, cp ppb], ...]``."""
    return json.dumps(sorted([*step, *counts] for step, counts in steps.items()),
                      separators=(",", ":"))


def decode_steps(text: str | None) -> StepCounts:
    """The counts of :func:`encode_steps` (none for a minute stored without them)."""
    if not text:
        return {}
    return {(s, o): [spans, errors, cp] for s, o, spans, errors, cp in json.loads(text)}


def add_steps(into: StepCounts, other: StepCounts) -> None:
    for step, counts in other.items():
        mine = into.get(step)
        if mine is None:
            into[step] = list(counts)
        else:
            for i in range(3):
                mine[i] += counts[i]
