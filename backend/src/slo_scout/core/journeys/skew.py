"""Clock-skew correction between hosts, the way Jaeger's query service adjusts traces.

Hosts disagree about the time, so a server span can appear to start before the client span that
called it. Jaeger's ``clockskew`` adjuster fixes this per host (here: per service, the only host
identity every format carries), top-down:

- A child on the *same* service as its parent inherits the parent's shift (one clock, one shift).
- A child on a *different* service gets a fresh shift computed against its already-adjusted
  parent. If the child already fits inside the parent, the shift is 0. If the child lasted
  longer than the parent (async work, or a parent that timed out), the only safe fix is to stop
  it starting before the parent. Otherwise network latency is assumed to be split equally
  between request and response: ``latency = (parent.duration - child.duration) / 2`` and the
  child is moved so that ``child.start = parent.start + latency``.

The shift applies to the child's whole subtree (its same-service descendants inherit it; the
others are re-measured against it). Spans are never modified: the adjusted times live in
:class:`TraceNode` ``start_ns``/``end_ns``.
"""

from __future__ import annotations

from slo_scout.core.journeys.model import TraceNode


def skew_delta(child: TraceNode, parent: TraceNode) -> int:
    """Shift (ns) that places ``child`` (original times) inside ``parent`` (adjusted times)."""
    child_start = child.span.start_ns
    child_end = child.span.end_ns
    child_duration = child_end - child_start
    parent_duration = parent.end_ns - parent.start_ns
    if child_duration > parent_duration:
        return parent.start_ns - child_start if child_start < parent.start_ns else 0
    if child_start >= parent.start_ns and child_end <= parent.end_ns:
        return 0
    latency = (parent_duration - child_duration) // 2
    return parent.start_ns + latency - child_start


def skew_problem(child: TraceNode, parent: TraceNode, shift: int) -> str:
    """How ``Trace.problems`` reports a child moved by ``shift`` ns to fit inside ``parent``."""
    return (
        f"clock skew: shifted {child.span.service} span {child.span.span_id} by {shift} ns "
        f"to fit inside its parent {parent.span.span_id}"
    )
