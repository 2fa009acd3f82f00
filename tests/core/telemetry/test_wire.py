"""The span records of the ``otlp.spans`` topic: fragments packed into bundles per shard, and
read back (``core.telemetry.wire``)."""

from __future__ import annotations

import pytest
from tests.builders import START_NS, span

from slo_scout.core.telemetry.model import Span
from slo_scout.core.telemetry.wire import (
    BUNDLE,
    Bundle,
    Fragment,
    decode_fragment,
    encode_bundles,
    encode_fragments,
    record_fragments,
    record_key,
    shard_of,
)


def _trace(n: int, spans: int = 3, *, name: str = "GET /cart") -> list[Span]:
    """Trace ``n``: its spans end 1 ms apart, after an offset that is not in the order of
    ``n`` (so the latest of a bundle is not simply its last)."""
    return [span(trace_id=f"{n:032x}", span_id=f"{s + 1:016x}", name=name,
                 parent_id=None if s == 0 else f"{1:016x}",
                 start_ns=START_NS, end_ns=START_NS + (n * 37 % 101 + s + 1) * 1_000_000)
            for s in range(spans)]


def _fragments(traces: range, spans: int = 3) -> list[Fragment]:
    return encode_fragments(s for n in traces for s in _trace(n, spans))


def _unbundle(bundles: list[Bundle]) -> list[tuple[str, list[Span]]]:
    return [decode_fragment(f) for b in bundles for f in record_fragments(b.value.decode())]


def test_shard_of_is_pinned_so_collectors_of_every_version_agree() -> None:
    # Two collector versions must put a trace on the same partition, or its fragments meet
    # different job subtasks: the function is part of the wire format.
    # (CRC-32 of the ASCII trace id, modulo the shards)
    assert [shard_of("0af7651916cd43dd8448eb211c80319c", n) for n in (1, 2, 3, 8, 64)] == \
        [0, 0, 1, 6, 30]
    shards = [shard_of(f"{n:032x}", 4) for n in range(1, 4001)]
    assert all(0 <= s < 4 for s in shards)
    assert all(800 < shards.count(s) < 1200 for s in range(4))  # spread, not one hot shard


def test_a_request_is_one_bundle_per_shard_each_naming_its_shard() -> None:
    fragments = _fragments(range(1, 41))
    bundles = encode_bundles(fragments, 4, 1 << 20)
    assert sorted(b.shard for b in bundles) == sorted({shard_of(f.trace_id, 4) for f in fragments})
    for b in bundles:
        assert b.value.startswith(f"{BUNDLE}{b.shard}\n".encode())
        assert record_key(b.value.decode()) == f"@{b.shard}"
        inside = [decode_fragment(f)[0] for f in record_fragments(b.value.decode())]
        # the shard's fragments, in the request's order
        assert inside == [f.trace_id for f in fragments if shard_of(f.trace_id, 4) == b.shard]


def test_a_bundle_carries_the_latest_timestamp_and_the_span_count_of_its_fragments() -> None:
    fragments = _fragments(range(1, 31), spans=4)
    for b in encode_bundles(fragments, 3, 1 << 20):
        mine = [f for f in fragments if shard_of(f.trace_id, 3) == b.shard]
        assert b.timestamp_ms == max(f.timestamp_ms for f in mine)
        assert b.spans == sum(f.spans for f in mine) == 4 * len(mine)
    # the fragment's own timestamp is its latest span end, in ms
    assert fragments[0].timestamp_ms == (START_NS + (37 + 3 + 1) * 1_000_000) // 1_000_000


def test_fragments_and_spans_come_back_unchanged_through_bundles() -> None:
    # a newline inside a span's text must not split a fragment: JSON escapes it
    spans = [s for n in range(1, 26) for s in _trace(n, 2)] + _trace(99, 2, name="GET /a\nb")
    fragments = encode_fragments(spans)
    back = _unbundle(encode_bundles(fragments, 5, 600))
    by_trace = dict(back)
    assert len(by_trace) == len(back) == 26
    assert by_trace == dict(decode_fragment(f.value) for f in fragments)
    assert [s for n in [*range(1, 26), 99] for s in by_trace[f"{n:032x}"]] == spans


@pytest.mark.parametrize(("spare", "per_bundle"), [(0, 4), (-1, 3), (4, 4)])
def test_bundles_are_packed_under_max_bytes_and_split_only_when_the_next_would_not_fit(
    spare: int, per_bundle: int
) -> None:
    fragments = _fragments(range(1, 61))
    [size] = {len(f.value) for f in fragments}
    # "@0" or "@1", then four fragments after a newline each: exactly, a byte short, or with
    # a few bytes to spare (not enough for a fifth)
    max_bytes = 2 + 4 * (1 + size) + spare
    bundles = encode_bundles(fragments, 2, max_bytes)
    per_shard: dict[int, list[Bundle]] = {}
    for b in bundles:
        assert len(b.value) <= max_bytes
        per_shard.setdefault(b.shard, []).append(b)
    for shard, in_order in per_shard.items():
        mine = [f for f in fragments if shard_of(f.trace_id, 2) == shard]
        assert [len(record_fragments(b.value.decode())) for b in in_order] == \
            [per_bundle] * (len(mine) // per_bundle) + \
            ([len(mine) % per_bundle] if len(mine) % per_bundle else [])
        assert sum(b.spans for b in in_order) == sum(f.spans for f in mine)
        for b in in_order:  # each bundle's timestamp is its own fragments' latest
            inside = {decode_fragment(f)[0] for f in record_fragments(b.value.decode())}
            assert b.timestamp_ms == max(f.timestamp_ms for f in mine if f.trace_id in inside)
    assert sorted(t for t, _ in _unbundle(bundles)) == sorted(f.trace_id for f in fragments)


def test_a_fragment_larger_than_max_bytes_makes_a_bundle_of_its_own() -> None:
    small = _fragments(range(1, 40))
    [big] = encode_fragments(_trace(1000, 2, name="x" * 5000))
    shard = shard_of(big.trace_id, 1)
    fragments = [*small[:3], big, *small[3:6]]
    assert 3 * len(small[0].value) < 2000 < len(big.value)
    bundles = encode_bundles(fragments, 1, 2000)
    # the fragments before and after it are in bundles of their own, in order
    assert [len(record_fragments(b.value.decode())) for b in bundles] == [3, 1, 3]
    assert bundles[1].value == f"@{shard}\n".encode() + big.value
    assert (bundles[1].timestamp_ms, bundles[1].spans) == (big.timestamp_ms, 2)
    assert [t for t, _ in _unbundle(bundles)] == [f.trace_id for f in fragments]
    # first in its shard, it leaves no empty bundle before it
    first = encode_bundles([big, *small[:3]], 1, 2000)
    assert [len(record_fragments(b.value.decode())) for b in first] == [1, 3]


def test_a_bare_fragment_of_the_old_format_reads_as_a_bundle_of_one_keyed_by_its_trace() -> None:
    [fragment] = encode_fragments(_trace(7, 3))
    value = fragment.value.decode()
    assert not value.startswith(BUNDLE)
    assert record_key(value) == f"{7:032x}"
    assert record_fragments(value) == [value]
    trace_id, spans = decode_fragment(record_fragments(value)[0])
    assert (trace_id, spans) == (f"{7:032x}", _trace(7, 3))


def test_no_fragments_make_no_bundles() -> None:
    assert encode_bundles([], 4, 1 << 20) == []
