"""A journey described in plain words, for sentence embeddings and similarity search.

The text is what a sentence model reads, so it says what a person would: where the request
enters (protocol, verb, operation, service), which services it touches and how the calls fan
out (the shape). Operations are also spelled as words (``/api/v1/orders/{id}`` ->
"api v1 orders id", ``payment.Charge`` -> "payment charge") because the model tokenises words,
not route syntax.

Invariants: the same journey always gives the same text (edges and services are sorted), and
two journeys that differ only in their request counts give the same text (counts are left out:
an embedding describes what a journey is, not how busy it was).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from slo_scout.core.journeys.model import Edge, Entry, Journey

__all__ = ["describe_journey", "describe_parts", "operation_words"]

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_WORD = re.compile(r"[^A-Za-z0-9]+")
_PROTOCOL_WORDS = {"http": "HTTP", "rpc": "RPC", "messaging": "message", "span": "operation"}


def operation_words(operation: str) -> str:
    """``/api/v1/orders/{id}`` -> ``api v1 orders id``; ``payment.Charge`` -> ``payment charge``."""
    spaced = _CAMEL.sub(" ", operation)
    return " ".join(w.lower() for w in _NON_WORD.split(spaced) if w)


def _shape(entry_service: str, edges: list[Edge]) -> tuple[int, int]:
    """Depth (longest call chain from the entry service, cycles cut) and widest fan-out."""
    children: dict[str, set[str]] = {}
    for e in edges:
        if e.caller != e.callee:
            children.setdefault(e.caller, set()).add(e.callee)
    fan_out = max((len(c) for c in children.values()), default=0)
    depth = 0
    # Iterative depth-first walk over paths; a service already on the path ends it (cycle).
    stack: list[tuple[str, tuple[str, ...]]] = [(entry_service, (entry_service,))]
    while stack:
        service, path = stack.pop()
        depth = max(depth, len(path) - 1)
        for callee in sorted(children.get(service, ())):
            if callee not in path:
                stack.append((callee, (*path, callee)))
    return depth, fan_out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def describe_parts(entry: Entry, services: Iterable[str], edges: Iterable[Edge]) -> str:
    """The description from a journey's parts (what the streaming job receives)."""
    ordered = sorted(edges, key=lambda e: (e.caller, e.callee, e.operation))
    names = sorted(set(services) | {entry.service})
    protocol = _PROTOCOL_WORDS.get(entry.protocol, entry.protocol)
    verb = f" {entry.method}" if entry.method and entry.protocol == "http" else ""
    lines = [
        f"{protocol}{verb} {entry.operation} entering at service {entry.service} "
        f"({operation_words(entry.operation) or entry.span_name}).",
    ]
    calls = [f"{e.caller} calls {e.callee} {e.operation} ({operation_words(e.operation)})"
             for e in ordered]
    if calls:
        lines.append("Calls: " + "; ".join(calls) + ".")
    else:
        lines.append("Served by the entry service alone, no downstream calls.")
    lines.append("Services: " + ", ".join(names) + ".")
    depth, fan_out = _shape(entry.service, ordered)
    lines.append(f"Shape: {_count(len(names), 'service')}, "
                 f"{_count(len(ordered), 'distinct call')}, "
                 f"call depth {depth}, fan-out {fan_out}.")
    return " ".join(lines)


def describe_journey(journey: Journey) -> str:
    """The description of a discovered journey; equal to :func:`describe_parts` on its parts."""
    return describe_parts(journey.entry, journey.services, journey.edges)
