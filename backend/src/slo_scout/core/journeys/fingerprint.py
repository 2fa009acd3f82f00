"""The structural fingerprint of a request: the canonical shape of the work below its entry.

The canonical tree has one node per ``(service, templated operation)`` under each parent:

- operations are templated (``/orders/42`` -> ``/orders/{id}``), so instances of one call match;
- sibling calls to the same ``(service, operation)`` are collapsed into one node marked
  *repeated* (a loop over 3 items and over 7 items look alike; 1 call and 2+ calls do not, so a
  retry shows as a variant), and the children of the collapsed calls are merged;
- siblings are sorted, so concurrency and arrival order do not matter.

The fingerprint is a blake2b hash (16 hex characters) of the canonical tree's ``repr``: the same
shape gives the same fingerprint in every process, which is what lets Flink workers and the
embedded pipeline agree on ids. Trees deeper than :data:`MAX_DEPTH` are cut there (marked).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Final

from slo_scout.core.journeys.entry import find_entry
from slo_scout.core.journeys.model import Trace, TraceNode
from slo_scout.core.journeys.templating import template_operation

# (service, operation, repeated, children)
Shape = tuple[str, str, bool, tuple["Shape", ...]]
MAX_DEPTH: Final = 64
_Edge = tuple[str, str, str]
_CUT: Final[tuple[Shape, ...]] = (("…", "deeper calls not shown", False, ()),)


def _canonical_children(children: list[TraceNode], depth: int) -> tuple[Shape, ...]:
    if not children:
        return ()
    if depth >= MAX_DEPTH:
        return _CUT
    if len(children) == 1:
        # Chains (a client span and the server span it calls) are the common case: no grouping,
        # and a leaf's one-shape tuple comes from a cache.
        only = children[0]
        span = only.span
        below = only.children
        if not below:
            return _only_leaf(span.service, span.name)
        return (
            (
                span.service,
                template_operation(span.name),
                False,
                _canonical_children(below, depth + 1),
            ),
        )
    groups: dict[tuple[str, str], list[TraceNode]] = {}
    for child in children:
        span = child.span
        key = (span.service, template_operation(span.name))
        group = groups.get(key)
        if group is None:
            groups[key] = [child]
        else:
            group.append(child)
    shapes: list[Shape] = []
    for (service, operation), members in groups.items():
        if len(members) == 1:
            below = members[0].children
        else:
            below = [grandchild for member in members for grandchild in member.children]
        shapes.append(
            (
                service,
                operation,
                len(members) > 1,
                _canonical_children(below, depth + 1) if below else (),
            )
        )
    shapes.sort()
    return tuple(shapes)


# An only child that calls nothing ends most chains; its whole (one-shape) tuple is reused.
@lru_cache(maxsize=16384)
def _only_leaf(service: str, name: str) -> tuple[Shape, ...]:
    return ((service, template_operation(name), False, ()),)


def canonical_shape(entry: TraceNode) -> Shape:
    """The canonical tree of ``entry`` and everything below it."""
    span = entry.span
    return (
        span.service,
        template_operation(span.name),
        False,
        _canonical_children(entry.children, 0),
    )


# Hashing a shape's nested tuple (in C) is far cheaper than its repr and digest, and a few
# shapes make up most requests.
@lru_cache(maxsize=4096)
def shape_hash(shape: Shape) -> str:
    return hashlib.blake2b(repr(shape).encode(), digest_size=8).hexdigest()


def shape_edges(shape: Shape) -> tuple[frozenset[_Edge], frozenset[_Edge]]:
    """``(calls, repeated calls)`` of a shape as ``(caller service, callee service, operation)``."""
    calls: set[_Edge] = set()
    repeated: set[_Edge] = set()
    stack = [shape]
    while stack:
        service, _, _, children = stack.pop()
        for child in children:
            key = (service, child[0], child[1])
            calls.add(key)
            if child[2]:
                repeated.add(key)
            stack.append(child)
    return frozenset(calls), frozenset(repeated)


def direct_calls(shape: Shape) -> dict[tuple[str, str], bool]:
    """Calls the entry's service makes on others: ``(service, operation) -> calls further``.

    Same-service spans under the entry (internal work, client spans) are passed through.
    """
    service = shape[0]
    found: dict[tuple[str, str], bool] = {}
    stack = list(shape[3])
    while stack:
        node = stack.pop()
        if node[0] == service:
            stack.extend(node[3])
            continue
        key = (node[0], node[1])
        found[key] = found.get(key, False) or _calls_out(node)
    return found


def _calls_out(shape: Shape) -> bool:
    """Whether a callee goes on to call another service (it is not a leaf step)."""
    service = shape[0]
    stack = list(shape[3])
    while stack:
        node = stack.pop()
        if node[0] != service:
            return True
        stack.extend(node[3])
    return False


def fingerprint_of(trace: Trace) -> str:
    """The fingerprint of ``trace``'s work below its entry (see the module docstring)."""
    return shape_hash(canonical_shape(find_entry(trace)[0]))
