"""One trace's spans -> its call tree.

Rules (each deviation from a clean tree is kept, counted and reported in ``Trace.problems``):

- The root is the span that names no parent, never "the smallest id". When several spans name no
  parent, the earliest (start, then span id) is the main root and the others are extra roots.
- An orphan names a parent that never arrived: it is kept as an extra root, after the real ones.
  A trace with an orphan, several roots or no parent-less span at all is ``incomplete``.
- Duplicate span ids: the longest copy is kept (the first on a tie), the rest are dropped.
- Cycles (a span that is its own ancestor) are broken at the earliest span of the cycle, which
  becomes an extra root.
- Clock skew is corrected top-down (see :mod:`.skew`) and children are sorted by adjusted start
  (span id on a tie), so the same spans in any order give the same tree.

Zipkin's shared client/server span ids are split by the decoder before spans get here.
"""

from __future__ import annotations

from collections.abc import Iterable

from slo_scout.core.journeys.model import Trace, TraceNode
from slo_scout.core.journeys.skew import skew_delta, skew_problem
from slo_scout.core.telemetry.model import Span


def _order(node: TraceNode) -> tuple[int, str]:
    return node.start_ns, node.span.span_id


def _dedupe(spans: Iterable[Span], problems: list[str]) -> dict[str, TraceNode]:
    nodes: dict[str, TraceNode] = {}
    get = nodes.get
    dropped = 0
    for span in spans:
        span_id = span.span_id
        previous = get(span_id)
        if previous is None:
            nodes[span_id] = TraceNode(span, [], span.start_ns, span.end_ns)
            continue
        dropped += 1
        if span.end_ns - span.start_ns > previous.span.end_ns - previous.span.start_ns:
            nodes[span_id] = TraceNode(span, [], span.start_ns, span.end_ns)
    if dropped:
        problems.append(f"duplicate span ids: dropped {dropped} copies (kept the longest)")
    return nodes


def _link(nodes: dict[str, TraceNode]) -> tuple[list[TraceNode], list[TraceNode]]:
    roots: list[TraceNode] = []
    orphans: list[TraceNode] = []
    get = nodes.get
    for node in nodes.values():
        parent_id = node.span.parent_id
        if parent_id is None:
            roots.append(node)
            continue
        parent = get(parent_id)
        if parent is None:
            orphans.append(node)
        else:
            parent.children.append(node)
    return roots, orphans


def _settle(roots: list[TraceNode], problems: list[str]) -> int:
    """Adjust skew and sort children below ``roots``; returns how many nodes were reached.

    A child on its parent's service inherits the parent's shift; one on another service gets
    its own (:func:`.skew.skew_delta`), which is 0 when it already fits inside the parent: that
    common case is decided here without a call. This loop runs once per span, so it also checks
    whether the children already arrived in order (the usual case) and sorts only when not, and
    leaves never go on the stack.
    """
    reached = len(roots)
    stack: list[tuple[TraceNode, int]] = [(root, 0) for root in roots if root.children]
    pop = stack.pop
    push = stack.append
    while stack:
        node, delta = pop()
        children = node.children
        reached += len(children)
        service = node.span.service
        p_start = node.start_ns
        p_end = node.end_ns
        in_order = True
        previous: TraceNode | None = None
        previous_start = 0
        for child in children:
            span = child.span
            start = span.start_ns
            end = span.end_ns
            if span.service == service:
                shift = delta
            elif start >= p_start and end <= p_end:
                shift = 0
            else:
                shift = skew_delta(child, node)
                if shift:
                    problems.append(skew_problem(child, node, shift))
            if shift:
                start += shift
                child.start_ns = start
                child.end_ns = end + shift
            if child.children:
                push((child, shift))
            if (
                in_order
                and previous is not None
                and (
                    start < previous_start
                    or (start == previous_start and span.span_id < previous.span.span_id)
                )
            ):
                in_order = False
            previous = child
            previous_start = start
        if not in_order:
            children.sort(key=_order)
    return reached


def _break_cycles(
    nodes: dict[str, TraceNode], reached_ids: set[int], problems: list[str]
) -> list[TraceNode]:
    """Nodes not reachable from any root hang on a cycle: cut each cycle at its earliest span."""
    new_roots: list[TraceNode] = []
    unreached = [n for n in nodes.values() if id(n) not in reached_ids]
    seen: set[int] = set()
    for start in sorted(unreached, key=_order):
        if id(start) in seen:
            continue
        # Walk up the parent links until a node repeats: that loop is the cycle.
        path: list[TraceNode] = []
        on_path: set[int] = set()
        node: TraceNode | None = start
        while node is not None and id(node) not in on_path and id(node) not in seen:
            path.append(node)
            on_path.add(id(node))
            parent_id = node.span.parent_id
            node = nodes.get(parent_id) if parent_id is not None else None
        if node is None or id(node) in seen:
            seen.update(on_path)
            continue
        cycle = path[path.index(node) :]
        cut = min(cycle, key=_order)
        parent = nodes[cut.span.parent_id or ""]
        parent.children.remove(cut)
        problems.append(
            f"cycle: broke a loop of {len(cycle)} spans at "
            f"{cut.span.service} span {cut.span.span_id}"
        )
        new_roots.append(cut)
        _mark(cut, seen)
        seen.update(on_path)
    return new_roots


def _mark(root: TraceNode, seen: set[int]) -> None:
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(node.children)


def _ids_below(roots: list[TraceNode]) -> set[int]:
    ids: set[int] = set()
    for root in roots:
        _mark(root, ids)
    return ids


def _index(spans: list[Span]) -> dict[str, TraceNode] | None:
    """One node per span id, or ``None`` when some id repeats (then :func:`_dedupe` decides)."""
    nodes = {span.span_id: TraceNode(span, [], span.start_ns, span.end_ns) for span in spans}
    return nodes if len(nodes) == len(spans) else None


def assemble(trace_id: str, spans: Iterable[Span]) -> Trace:
    """Build the call tree of one trace (see the module docstring for the rules)."""
    problems: list[str] = []
    listed = spans if isinstance(spans, list) else list(spans)
    nodes = _index(listed)
    if nodes is None:
        nodes = _dedupe(listed, problems)
    if not nodes:
        raise ValueError(f"trace {trace_id} has no spans")
    roots, orphans = _link(nodes)
    if len(roots) > 1:
        roots.sort(key=_order)
        problems.append(f"multiple roots: {len(roots)} spans name no parent")
    if orphans:
        orphans.sort(key=_order)
        problems.append(
            f"orphans: {len(orphans)} spans name a parent that never arrived (kept as roots)"
        )
        tops = roots + orphans
    else:
        tops = roots
    reached = _settle(tops, problems)
    if reached < len(nodes):
        cut = _break_cycles(nodes, _ids_below(tops), problems)
        cut.sort(key=_order)
        _settle(cut, problems)
        tops.extend(cut)
    return Trace(
        trace_id=trace_id,
        roots=tops,
        span_count=len(nodes),
        incomplete=len(tops) != 1 or not roots,
        problems=tuple(problems),
    )
