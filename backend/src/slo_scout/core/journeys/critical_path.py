"""The critical path of a trace: the last-finishing-child walk of Jaeger's UI.

Same algorithm as jaeger-ui ``TracePage/CriticalPath`` (computeCriticalPath):

1. Sanitize, top-down: a child that starts before its parent is clipped to the parent's start,
   one that ends after it is clipped to the parent's end, and a child entirely outside its parent
   is dropped with its subtree. A CONSUMER child of a PRODUCER parent does not block the parent
   and is dropped with its subtree (jaeger-ui's ``isBlocking``).
2. From the root, take the child that finishes last (LFC). The parent's time from the LFC's end to
   the parent's end is on the path; continue inside the LFC.
3. A span without (eligible) children is on the path from its start to the current section end;
   then return to its parent with ``spawn = that span's start`` and pick the child that finished
   last *strictly before* ``spawn``; without one, the parent is on the path back to its start.

Children are ranked by (clipped) end time, latest first; ties keep the tree's order (start,
span id), as jaeger-ui's strict ``>`` scan does.
Empty sections are skipped. Each root (main root first, then extra roots) is walked in turn.
The result lists ``(node, nanoseconds)`` segments in time order within each root (the walk
produces them latest first); the same node may appear several times.
"""

from __future__ import annotations

from slo_scout.core.journeys.model import Trace, TraceNode

_Window = tuple[int, int]


def _end_desc(item: tuple[TraceNode, _Window]) -> int:
    return -item[1][1]


def _sanitize(
    root: TraceNode,
) -> tuple[dict[int, _Window], dict[int, list[tuple[TraceNode, _Window]]], dict[int, TraceNode]]:
    windows: dict[int, _Window] = {id(root): (root.start_ns, root.end_ns)}
    ranked: dict[int, list[tuple[TraceNode, _Window]]] = {}
    parents: dict[int, TraceNode] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        p_start, p_end = windows[id(node)]
        parent_kind = node.span.kind
        kept: list[tuple[TraceNode, _Window]] = []
        for child in node.children:
            if parent_kind == "producer" and child.span.kind == "consumer":
                continue
            start, end = child.start_ns, child.end_ns
            # Entirely outside the parent: dropped with its subtree (jaeger-ui's exact bounds).
            if (start >= p_end) if start >= p_start else (end <= p_start):
                continue
            window = (max(start, p_start), min(end, p_end))
            windows[id(child)] = window
            parents[id(child)] = node
            kept.append((child, window))
            stack.append(child)
        if kept:
            kept.sort(key=_end_desc)
            ranked[id(node)] = kept
    return windows, ranked, parents


def _walk(root: TraceNode) -> list[tuple[TraceNode, int]]:
    windows, ranked, parents = _sanitize(root)
    sections: list[tuple[TraceNode, int]] = []
    node = root
    spawn: int | None = None
    while True:
        start, end = windows[id(node)]
        section_end = end if spawn is None else spawn
        children = ranked.get(id(node), ())
        lfc: tuple[TraceNode, _Window] | None = None
        if spawn is None:
            lfc = children[0] if children else None
        else:
            for candidate in children:
                if candidate[1][1] < spawn:
                    lfc = candidate
                    break
        if lfc is not None:
            if lfc[1][1] != section_end:
                sections.append((node, section_end - lfc[1][1]))
            node, spawn = lfc[0], None
            continue
        if start != section_end:
            sections.append((node, section_end - start))
        if node is root:
            break
        spawn = start
        node = parents[id(node)]
    sections.reverse()
    return sections


def critical_path(trace: Trace) -> list[tuple[TraceNode, int]]:
    """Segments of self time on the critical path, as ``(node, nanoseconds)``."""
    path: list[tuple[TraceNode, int]] = []
    for root in trace.roots:
        path.extend(_walk(root))
    return path
