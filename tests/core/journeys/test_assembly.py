"""Trace assembly: the real root, extra roots, orphans, cycles, duplicates, child order."""

from __future__ import annotations

import itertools

import pytest
from tests.builders import span
from tests.core.journeys.trees import parents

from slo_scout.core.journeys import assemble

T = 1_700_000_000_000_000_000
MS = 1_000_000


def s(span_id: str, parent: str | None, start_ms: int, end_ms: int, service: str = "svc"):
    return span(
        span_id=span_id.rjust(16, "0"),
        parent_id=parent.rjust(16, "0") if parent else None,
        service=service,
        name=f"op-{span_id}",
        start_ns=T + start_ms * MS,
        end_ns=T + end_ms * MS,
    )


def ids(*short: str) -> list[str]:
    return [x.rjust(16, "0") for x in short]


def test_the_root_is_the_span_without_a_parent_not_the_smallest_id():
    spans = [s("1", "9", 5, 10), s("9", None, 0, 20), s("5", "9", 1, 4)]
    trace = assemble("t", spans)
    assert trace.root.span.span_id == "9".rjust(16, "0")
    assert [c.span.span_id for c in trace.root.children] == ids("5", "1")
    assert not trace.incomplete
    assert trace.problems == ()
    assert trace.span_count == 3


def test_any_arrival_order_gives_the_same_tree():
    spans = [s("a", None, 0, 100), s("b", "a", 10, 20), s("c", "a", 10, 30), s("d", "b", 11, 12)]
    expected = parents(assemble("t", spans))
    for order in itertools.permutations(spans):
        trace = assemble("t", list(order))
        assert parents(trace) == expected
        assert [c.span.span_id for c in trace.root.children] == ids("b", "c")


def test_several_parentless_spans_make_the_earliest_the_main_root():
    spans = [s("2", None, 50, 60), s("1", None, 10, 40), s("3", "2", 51, 52)]
    trace = assemble("t", spans)
    assert [r.span.span_id for r in trace.roots] == ids("1", "2")
    assert trace.root.span.span_id == ids("1")[0]
    assert trace.incomplete
    assert trace.problems == ("multiple roots: 2 spans name no parent",)


def test_orphans_are_kept_as_extra_roots_after_the_real_root_and_mark_the_trace_incomplete():
    spans = [s("1", None, 0, 100), s("7", "404", 5, 8), s("8", "7", 6, 7), s("6", "405", 2, 3)]
    trace = assemble("t", spans)
    assert [r.span.span_id for r in trace.roots] == ids("1", "6", "7")
    assert [c.span.span_id for c in trace.roots[2].children] == ids("8")
    assert trace.incomplete
    assert trace.problems == ("orphans: 2 spans name a parent that never arrived (kept as roots)",)
    assert trace.span_count == 4


def test_a_trace_of_orphans_only_has_the_earliest_orphan_as_main_root():
    trace = assemble("t", [s("2", "x", 5, 6), s("1", "y", 1, 9)])
    assert trace.root.span.span_id == ids("1")[0]
    assert trace.incomplete


def test_a_cycle_is_broken_at_its_earliest_span_and_reported():
    spans = [s("1", None, 0, 100), s("a", "c", 10, 50), s("b", "a", 20, 40), s("c", "b", 30, 35)]
    trace = assemble("t", spans)
    assert [r.span.span_id for r in trace.roots] == ids("1", "a")
    assert parents(trace) == {
        ids("1")[0]: None,
        ids("a")[0]: None,
        ids("b")[0]: ids("a")[0],
        ids("c")[0]: ids("b")[0],
    }
    assert trace.problems == (f"cycle: broke a loop of 3 spans at svc span {ids('a')[0]}",)
    assert trace.incomplete


def test_a_span_that_is_its_own_parent_becomes_a_root():
    trace = assemble("t", [s("1", None, 0, 10), s("2", "2", 1, 2), s("3", "2", 1, 2)])
    assert [r.span.span_id for r in trace.roots] == ids("1", "2")
    assert [c.span.span_id for c in trace.roots[1].children] == ids("3")
    assert trace.problems == (f"cycle: broke a loop of 1 spans at svc span {ids('2')[0]}",)


def test_duplicate_span_ids_keep_the_longest_copy_and_are_reported():
    spans = [s("1", None, 0, 100), s("2", "1", 10, 20), s("2", "1", 10, 60), s("2", "1", 5, 15)]
    trace = assemble("t", spans)
    (child,) = trace.root.children
    assert (child.start_ns, child.end_ns) == (T + 10 * MS, T + 60 * MS)
    assert trace.span_count == 2
    assert trace.problems == ("duplicate span ids: dropped 2 copies (kept the longest)",)


def test_duplicates_of_equal_length_keep_the_first():
    first = s("2", "1", 10, 20)
    second = s("2", "1", 30, 40)
    trace = assemble("t", [s("1", None, 0, 100), first, second])
    assert trace.root.children[0].span is first


def test_children_are_sorted_by_start_then_span_id():
    spans = [s("1", None, 0, 100), s("c", "1", 5, 6), s("b", "1", 5, 9), s("a", "1", 7, 8)]
    trace = assemble("t", spans)
    assert [c.span.span_id for c in trace.root.children] == ids("b", "c", "a")


def test_a_trace_without_spans_is_refused():
    with pytest.raises(ValueError, match="no spans"):
        assemble("t", [])
