"""Helpers to read assembled trees back in tests: decode a shared file, list parents."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from slo_scout.core.journeys import Trace, TraceNode, assemble
from slo_scout.core.telemetry import decode_bytes
from slo_scout.core.telemetry.model import Span


def decode_file(path: Path) -> list[Span]:
    return decode_bytes(path.read_bytes(), source=path.name)


def traces_of(spans: list[Span]) -> dict[str, Trace]:
    by_trace: dict[str, list[Span]] = defaultdict(list)
    for s in spans:
        by_trace[s.trace_id].append(s)
    return {trace_id: assemble(trace_id, group) for trace_id, group in by_trace.items()}


def nodes(trace: Trace) -> list[tuple[TraceNode, TraceNode | None]]:
    """Every node with its parent node, depth first in tree order."""
    out: list[tuple[TraceNode, TraceNode | None]] = []
    stack: list[tuple[TraceNode, TraceNode | None]] = [(r, None) for r in reversed(trace.roots)]
    while stack:
        node, parent = stack.pop()
        out.append((node, parent))
        stack.extend((child, node) for child in reversed(node.children))
    return out


def parents(trace: Trace) -> dict[str, str | None]:
    """span id -> parent span id as assembled (None for roots)."""
    return {n.span.span_id: (p.span.span_id if p else None) for n, p in nodes(trace)}
