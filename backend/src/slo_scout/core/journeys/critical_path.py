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

from typing import Any

from slo_scout.core.journeys.model import Trace, TraceNode

_Ranked = list[tuple[int, int, TraceNode]]  # (clipped end, clipped start, child)


def _ranked_children(node: TraceNode, p_start: int, p_end: int) -> _Ranked:
    """Children clipped to the parent's window, outsiders dropped, latest end first."""
    parent_kind = node.span.kind
    kept: _Ranked = []
    for child in node.children:
        if parent_kind == "producer" and child.span.kind == "consumer":
            continue
        start, end = child.start_ns, child.end_ns
        # Entirely outside the parent: dropped with its subtree (jaeger-ui's exact bounds).
        if (start >= p_end) if start >= p_start else (end <= p_start):
            continue
        kept.append((end if end < p_end else p_end, start if start > p_start else p_start, child))
    if len(kept) > 1:
        # Stable: equal ends keep tree order, as jaeger-ui's strict ">" scan does.
        kept.sort(key=_end_of, reverse=True)
    return kept


def _end_of(item: tuple[int, int, TraceNode]) -> int:
    return item[0]


def _walk(root: TraceNode) -> list[tuple[TraceNode, int]]:
    """The walk, iteratively; sections are collected latest first and reversed at the end.

    Scanning one parent's ranked children once, left to right, is the same as jaeger-ui's
    repeated "first child ending before spawn" search: every child before the one picked ends
    no earlier than it, so none of them can end before the picked child's start.
    """
    out: list[tuple[TraceNode, int]] = []
    # frame: [node, window start, ranked children, next index, cursor, first pick done]
    frames: list[list[Any]] = [
        [
            root,
            root.start_ns,
            _ranked_children(root, root.start_ns, root.end_ns),
            0,
            root.end_ns,
            False,
        ]
    ]
    while frames:
        frame = frames[-1]
        node, w_start, ranked, index, cursor, picked = frame
        descended = False
        while index < len(ranked):
            c_end, c_start, child = ranked[index]
            index += 1
            if picked and c_end >= cursor:
                continue
            if cursor != c_end:
                out.append((node, cursor - c_end))
            if not child.children:
                # A leaf is on the path for its whole clipped window: no frame needed.
                if c_end != c_start:
                    out.append((child, c_end - c_start))
                cursor, picked = c_start, True
                continue
            frame[3], frame[4], frame[5] = index, c_start, True
            frames.append(
                [child, c_start, _ranked_children(child, c_start, c_end), 0, c_end, False]
            )
            descended = True
            break
        if descended:
            continue
        if cursor != w_start:
            out.append((node, cursor - w_start))
        frames.pop()
    out.reverse()
    return out


def critical_path(trace: Trace) -> list[tuple[TraceNode, int]]:
    """Segments of self time on the critical path, as ``(node, nanoseconds)``."""
    path: list[tuple[TraceNode, int]] = []
    for root in trace.roots:
        path.extend(_walk(root))
    return path
