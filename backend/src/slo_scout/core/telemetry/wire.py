"""The span record format on the ``otlp.spans`` topic: bundles of (trace, request) fragments.

A fragment carries every span of one trace that arrived in one request. The value is text so
PyFlink's ``SimpleStringSchema`` reads it without a Python deserialiser:

    <trace id, 32 hex chars><JSON array of spans>

Each span is ``[span_id, parent_id, service, name, kind, start_ns, end_ns, status, error,
attributes]``; only the attributes the core keeps travel (see ``KEPT_ATTRIBUTES``).

A record is a *bundle*: the fragments of one request that fall in one shard, one a line, after
a header line naming the shard:

    @<shard>\n<fragment>\n<fragment>...

Why bundles: Flink's per-record work (fetch, key selection, the hand-over to Python, timers)
cost as much per record as the core's work on a whole trace, so one record per trace held the
journey job to a fifth of what the core can do. The shard is the Kafka partition
(``shard_of``), and the job keys its stream by it: every fragment of a trace meets the same
subtask, whichever request carried it. A record that is one bare fragment (the format before
bundles) is still read; the job keys it by its trace id.

It lives in the core because both runtimes speak it: the collectors write it and the streaming
jobs read it. A record written by one version must be read by the next (append fields, never
reorder).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import orjson

from slo_scout.core.errors import DecodeError
from slo_scout.core.telemetry.model import SPAN_KINDS, STATUS_CODES, Span

TRACE_ID_LEN = 32
BUNDLE = "@"  # first character of a bundle record (a bare fragment starts with hex)
# Bundles stay small enough that the job holds a few per shard at once without strain.
BUNDLE_MAX_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Fragment:
    trace_id: str
    value: bytes
    timestamp_ms: int  # latest span end: the event time Flink's watermarks follow
    spans: int


def encode_fragments(spans: Iterable[Span]) -> list[Fragment]:
    """Groups spans by trace, in first-seen order, into one record each."""
    groups: dict[str, list[list[object]]] = {}
    ends: dict[str, int] = {}
    for s in spans:
        row: list[object] = [
            s.span_id, s.parent_id, s.service, s.name, s.kind,
            s.start_ns, s.end_ns, s.status, s.error, s.attributes,
        ]
        group = groups.get(s.trace_id)
        if group is None:
            groups[s.trace_id] = [row]
            ends[s.trace_id] = s.end_ns
        else:
            group.append(row)
            if s.end_ns > ends[s.trace_id]:
                ends[s.trace_id] = s.end_ns
    return [
        Fragment(tid, tid.encode() + orjson.dumps(rows), ends[tid] // 1_000_000, len(rows))
        for tid, rows in groups.items()
    ]


@dataclass(frozen=True, slots=True)
class Bundle:
    shard: int
    value: bytes
    timestamp_ms: int  # the latest of its fragments': the record's event time
    spans: int


def shard_of(trace_id: str, shards: int) -> int:
    """The shard (Kafka partition) of a trace: stable across collectors and restarts."""
    return zlib.crc32(trace_id.encode()) % shards


def encode_bundles(fragments: Iterable[Fragment], shards: int, max_bytes: int) -> list[Bundle]:
    """Fragments grouped by shard, in order, into records of at most ``max_bytes`` each (a
    fragment larger than that alone makes a record of its own)."""
    by_shard: dict[int, list[Fragment]] = {}
    for f in fragments:
        by_shard.setdefault(shard_of(f.trace_id, shards), []).append(f)
    bundles: list[Bundle] = []
    for shard, group in by_shard.items():
        header = f"{BUNDLE}{shard}".encode()
        parts: list[bytes] = [header]
        size, latest, spans = len(header), 0, 0
        for f in group:
            if len(parts) > 1 and size + 1 + len(f.value) > max_bytes:
                bundles.append(Bundle(shard, b"\n".join(parts), latest, spans))
                parts, size, latest, spans = [header], len(header), 0, 0
            parts.append(f.value)
            size += 1 + len(f.value)
            latest, spans = max(latest, f.timestamp_ms), spans + f.spans
        bundles.append(Bundle(shard, b"\n".join(parts), latest, spans))
    return bundles


def record_key(value: str) -> str:
    """What the journey job keys a record by: a bundle's shard, a bare fragment's trace id."""
    if value.startswith(BUNDLE):
        return value[:value.find("\n")]
    return value[:TRACE_ID_LEN]


def record_fragments(value: str) -> list[str]:
    """The fragments of a record, one string each (a bare fragment is its own only one)."""
    lines = value.split("\n")
    return lines[1:] if value.startswith(BUNDLE) else lines


def decode_fragment(value: str | bytes, *, source: str = "otlp.spans") -> tuple[str, list[Span]]:
    """The trace id and spans of one record; raises :class:`DecodeError` naming the field."""
    raw = value.encode() if isinstance(value, str) else value
    trace_id = raw[:TRACE_ID_LEN].decode("ascii", "replace")
    try:
        rows = orjson.loads(raw[TRACE_ID_LEN:])
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"not a span fragment: {exc}", source=source, record=trace_id) from exc
    if not isinstance(rows, list):
        raise DecodeError("span list expected", source=source, record=trace_id)
    spans: list[Span] = []
    for i, row in enumerate(rows):
        try:
            sid, parent, service, name, kind, start, end, status, error, attrs = row
        except (TypeError, ValueError) as exc:
            raise DecodeError("span row has the wrong shape", source=source, record=trace_id,
                              field=f"[{i}]") from exc
        if kind not in SPAN_KINDS or status not in STATUS_CODES:
            raise DecodeError("unknown kind or status", source=source, record=trace_id,
                              field=f"[{i}]")
        spans.append(Span(trace_id, sid, parent, service, name, kind, int(start), int(end),
                          status, bool(error), attrs))
    return trace_id, spans
