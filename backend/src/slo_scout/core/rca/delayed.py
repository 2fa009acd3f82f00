"""A network delay replayed into recorded traces: a third evaluation of the ranking.

The public recording has no network faults, and the simulated shop's call trees are not
TrainTicket's. :func:`delay_egress` takes recorded spans and delays every packet one service's
pods send, as ChaosMesh's NetworkChaos does: its responses reach its callers ``delay_ns`` later,
and its own requests reach its callees ``delay_ns`` later. Everything that waited for those
calls moves with them:

- a call whose callee or caller is the delayed service ends later, on the caller's side (its
  span covers the wire both ways);
- a span waits for its children: its end moves by the most any of its children's ends moved;
- siblings run in sequence where the recording shows it: a child that started after another
  ended starts after it again, however much that one moved; overlapping children (parallel
  calls) do not wait for each other.

Only spans move: the recording's logs and pod metrics are what they were, so this measures the
span signals (``network``, ``critical_path``, ``latency``) on real call trees.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from slo_scout.core.telemetry.model import Span


def delay_egress(spans: Sequence[Span], service: str, delay_ns: int) -> list[Span]:
    """``spans`` as they would have been with ``service``'s outgoing packets ``delay_ns`` late."""
    children: dict[tuple[str, str], list[Span]] = defaultdict(list)
    by_id = {(s.trace_id, s.span_id): s for s in spans}
    roots = []
    for span in spans:
        if span.parent_id and (span.trace_id, span.parent_id) in by_id:
            children[(span.trace_id, span.parent_id)].append(span)
        else:
            roots.append(span)
    moved: dict[tuple[str, str], tuple[int, int]] = {}  # (start shift, end shift)

    def request_delay(parent: Span, child: Span) -> int:
        # the request crosses from parent's pod to child's: late when the sender is delayed
        remote = parent.service != child.service
        return delay_ns if remote and parent.service == service else 0

    def response_delay(parent: Span, child: Span) -> int:
        remote = parent.service != child.service
        return delay_ns if remote and child.service == service else 0

    for kids in children.values():
        kids.sort(key=lambda s: (s.start_ns, s.span_id))
    for root in roots:
        # Iterative post-order walk. A child's start depends on its earlier siblings' ends, so
        # a parent's frame places its children one at a time (``placed`` of them so far).
        stack: list[tuple[Span, int, int]] = [(root, 0, 0)]
        while stack:
            span, shift, placed = stack.pop()
            kids = children.get((span.trace_id, span.span_id), [])
            if placed < len(kids):
                nxt = kids[placed]
                start = shift + request_delay(span, nxt)
                for earlier in kids[:placed]:
                    if earlier.end_ns <= nxt.start_ns:  # it waited for that one
                        start = max(start, moved[(earlier.trace_id, earlier.span_id)][1]
                                    + response_delay(span, earlier))
                stack.append((span, shift, placed + 1))
                stack.append((nxt, start, 0))
                continue
            end = shift
            for kid in kids:
                end = max(end, moved[(kid.trace_id, kid.span_id)][1] + response_delay(span, kid))
            moved[(span.trace_id, span.span_id)] = (shift, end)
    out = []
    for span in spans:
        start, end = moved.get((span.trace_id, span.span_id), (0, 0))
        out.append(replace(span, start_ns=span.start_ns + start, end_ns=span.end_ns + end)
                   if start or end else span)
    return out
