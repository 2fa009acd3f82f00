"""DDSketch <-> compact JSON text, so per-minute latency sketches can be stored and merged.

Only the non-empty bins are kept (key -> count), with the count, sum, min, max and zero count
that DDSketch tracks; decoding rebuilds an equivalent sketch at the same 1% relative accuracy.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from typing import Any

from ddsketch import DDSketch

from slo_scout.core.journeys.model import SKETCH_RELATIVE_ACCURACY, new_sketch, quantile


def _bins(store: Any) -> list[list[float]]:
    return [
        [store.offset + index, count] for index, count in enumerate(store.bins) if count
    ]


def encode_sketch(sketch: DDSketch) -> str:
    body: dict[str, Any] = {
        "a": sketch._relative_accuracy,
        "p": _bins(sketch._store),
        "n": _bins(sketch._negative_store),
        "z": sketch._zero_count,
        "c": sketch._count,
        "s": sketch._sum,
        "lo": sketch._min if math.isfinite(sketch._min) else None,
        "hi": sketch._max if math.isfinite(sketch._max) else None,
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True)


def decode_sketch(text: str) -> DDSketch:
    body = json.loads(text)
    if body.get("a", SKETCH_RELATIVE_ACCURACY) != SKETCH_RELATIVE_ACCURACY:
        raise ValueError(f"stored sketch has relative accuracy {body['a']}, expected 1%")
    sketch = new_sketch()
    for key, count in body["p"]:
        sketch._store.add(int(key), count)
    for key, count in body["n"]:
        sketch._negative_store.add(int(key), count)
    sketch._zero_count = body["z"]
    sketch._count = body["c"]
    sketch._sum = body["s"]
    sketch._min = body["lo"] if body["lo"] is not None else float("+inf")
    sketch._max = body["hi"] if body["hi"] is not None else float("-inf")
    return sketch


def merge_encoded(first: str, second: DDSketch) -> str:
    merged = decode_sketch(first)
    merged.merge(second)
    return encode_sketch(merged)


@lru_cache(maxsize=65536)
def sketch_quantiles(text: str, quantiles: tuple[float, ...]) -> tuple[float | None, ...]:
    """Quantiles of a stored sketch (None when empty). Cached by the stored text: list pages
    show the same journeys' quantiles again and again, and decoding is the costly part."""
    sketch = decode_sketch(text)
    if sketch.count <= 0:
        return tuple(None for _ in quantiles)
    return tuple(quantile(sketch, q) for q in quantiles)
